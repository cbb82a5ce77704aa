#if canImport(Glibc)
internal import Glibc
#endif

/// The entries of an open directory stream (`opendir`/`fdopendir`), `.` and `..` left out.
public enum DirectoryEntries {
    public struct Entry {
        /// The name as the file system has it.
        public let bytes: [UInt8]
        /// The name, when it is UTF-8: only then can an object key name it.
        public let name: String?
    }

    /// Calls `body` with each entry `stream` still has, in the file system's order.
    public static func forEach(in stream: OpaquePointer, _ body: (Entry) throws -> Void) rethrows {
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [UInt8(ascii: ".")] || bytes == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            try body(Entry(bytes: bytes, name: String(validating: bytes, as: UTF8.self)))
        }
    }
}
