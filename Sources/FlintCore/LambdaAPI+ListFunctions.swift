public import Foundation

extension LambdaAPI {
    /// The body of `GET /2015-03-31/functions`: `{"Functions":[...],"NextMarker":null}`, all
    /// functions on one page, in the order given.
    ///
    /// - Parameter lastModified: when the functions were loaded, as `LastModified`; the key is left
    ///   out when nil.
    public static func listFunctionsBody(
        _ functions: [FunctionManifest], region: String, account: String, lastModified: Date?
    ) -> Data {
        let configurations = functions.map { configuration(of: $0, region: region, account: account, lastModified: lastModified) }
        return FlintJSON.encode(FunctionList(functions: configurations))
    }

    /// What Lambda's `FunctionConfiguration` says of `function`.
    static func configuration(of function: FunctionManifest, region: String, account: String, lastModified: Date?) -> FunctionConfiguration {
        FunctionConfiguration(
            functionName: function.name,
            functionArn: functionARN(name: function.name, region: region, account: account),
            runtime: runtimeName(function.runtime),
            role: "arn:aws:iam::\(account):role/flint",
            handler: function.command.joined(separator: " "),
            codeSize: 0,
            description: "",
            timeout: timeoutSeconds(function.timeout),
            memorySize: function.memoryMB,
            lastModified: lastModified.map { UTCTimestamp($0).lambdaLastModified },
            version: "$LATEST",
            state: "Active",
            packageType: "Zip",
            architectures: [hostArchitecture]
        )
    }

    /// Lambda's `Runtime` for a Flint runtime. Neither runs a managed Lambda runtime: both start the
    /// manifest's own command, which is what Lambda calls a custom runtime, `provided`. boto3 does not
    /// check the value against its enum; `provided` is chosen over `provided.al2023` because Flint
    /// makes no claim about the operating system.
    static func runtimeName(_ runtime: Runtime) -> String {
        switch runtime {
        case .exec, .lambda: "provided"
        }
    }

    /// Lambda's `Timeout` is whole seconds; a fraction rounds up so the reported limit is never shorter.
    static func timeoutSeconds(_ timeout: Duration) -> Int {
        let (seconds, attoseconds) = timeout.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    /// Handlers run on this machine, so its architecture is the honest answer.
    static var hostArchitecture: String {
        #if arch(arm64)
            "arm64"
        #else
            "x86_64"
        #endif
    }

    private struct FunctionList: Encodable {
        var functions: [FunctionConfiguration]

        enum CodingKeys: String, CodingKey {
            case functions = "Functions"
            case nextMarker = "NextMarker"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(functions, forKey: .functions)
            // Present and null, as Lambda writes the last page.
            try container.encodeNil(forKey: .nextMarker)
        }
    }

    struct FunctionConfiguration: Encodable {
        var functionName: String
        var functionArn: String
        var runtime: String
        var role: String
        var handler: String
        var codeSize: Int
        var description: String
        var timeout: Int
        var memorySize: Int
        var lastModified: String?
        var version: String
        var state: String
        var packageType: String
        var architectures: [String]

        enum CodingKeys: String, CodingKey {
            case functionName = "FunctionName"
            case functionArn = "FunctionArn"
            case runtime = "Runtime"
            case role = "Role"
            case handler = "Handler"
            case codeSize = "CodeSize"
            case description = "Description"
            case timeout = "Timeout"
            case memorySize = "MemorySize"
            case lastModified = "LastModified"
            case version = "Version"
            case state = "State"
            case packageType = "PackageType"
            case architectures = "Architectures"
        }
    }
}
