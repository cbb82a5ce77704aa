import Foundation

extension LambdaAPI {
    /// A function named in an Invoke path: the bare name and the qualifier, if one was given.
    public struct FunctionReference: Sendable, Hashable {
        /// `[A-Za-z0-9_.-]{1,64}`; whether such a function exists is for the caller to say.
        public var name: String
        /// `$LATEST`, a version number or an alias name; nil when none was given.
        public var qualifier: String?

        public init(name: String, qualifier: String? = nil) {
            self.name = name
            self.qualifier = qualifier
        }
    }

    /// Lambda's pattern for a FunctionName, quoted when one is refused.
    public static let functionNamePattern =
        #"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"#

    /// Parses a FunctionName path component and returns the bare name, or nil if it is malformed.
    /// See ``functionReference(fromPathComponent:)`` for the accepted forms.
    public static func functionName(fromPathComponent component: String) -> String? {
        functionReference(fromPathComponent: component)?.name
    }

    /// Parses a FunctionName path component, percent-encoded or not, in any of the forms Lambda
    /// accepts: `NAME`, `NAME:QUALIFIER`, the partial ARN `ACCOUNT:function:NAME[:QUALIFIER]`, or
    /// the ARN `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`. Returns nil for
    /// anything else. The region and account of an ARN are checked for form only, not compared
    /// with Flint's own.
    public static func functionReference(fromPathComponent component: String) -> FunctionReference? {
        guard let decoded = component.percentDecoded, decoded.utf8.count <= 256 else { return nil }
        let parts = decoded.split(separator: ":", omittingEmptySubsequences: false)
        let nameAndQualifier: ArraySlice<Substring>
        switch parts.count {
        case 1, 2:
            nameAndQualifier = parts[...]
        case 3, 4:
            guard isAccount(parts[0]), parts[1] == "function" else { return nil }
            nameAndQualifier = parts[2...]
        case 7, 8:
            guard parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "lambda",
                isRegion(parts[3]), isAccount(parts[4]), parts[5] == "function"
            else { return nil }
            nameAndQualifier = parts[6...]
        default:
            return nil
        }

        let name = nameAndQualifier[nameAndQualifier.startIndex]
        // Lambda's pattern lets a dot through (`My.Func`); no function has one, so it is not found.
        guard (1 ... 64).contains(name.utf8.count), name.utf8.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: ".") }) else { return nil }
        guard nameAndQualifier.count == 2 else { return FunctionReference(name: String(name)) }
        let qualifier = nameAndQualifier[nameAndQualifier.startIndex + 1]
        guard qualifier == "$LATEST"
            || ((1 ... 128).contains(qualifier.utf8.count) && qualifier.utf8.allSatisfy(isNameByte))
        else { return nil }
        return FunctionReference(name: String(name), qualifier: String(qualifier))
    }

    /// Letters, digits, `-` and `_`: Lambda's alphabet for function names and aliases.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Digits only; not pinned to AWS's twelve so that a configured account such as `000000000000`
    /// or a shorter test value both parse.
    private static func isAccount(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Lower-case letters, digits and `-` (`us-east-1`, or a local name such as `local`).
    private static func isRegion(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-")
        }
    }
}
