/// A string compared byte for byte (its UTF-8), as the file system and SQLite compare names.
///
/// Swift's `String` equality treats canonically equivalent text as equal: a precomposed `é`
/// and `e` + combining accent are one string to it, but two file names, two object keys and two
/// index rows. Dictionaries of names keyed by this type keep such files apart.
public struct ByteExactKey: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let string: String

    public init(_ string: String) {
        self.string = string
    }

    public init(stringLiteral string: String) {
        self.string = string
    }

    public var description: String { string }

    public static func == (lhs: ByteExactKey, rhs: ByteExactKey) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    /// Byte order, as SQLite's BINARY collation and S3 list keys.
    public static func < (lhs: ByteExactKey, rhs: ByteExactKey) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if hashed == nil {
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
