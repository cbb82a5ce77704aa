#if canImport(Glibc)
internal import Glibc
#endif

/// The entries of a directory, `.` and `..` left out, in the file system's order.
public enum DirectoryEntries {
    public struct Entry: Sendable {
        /// The name as the file system has it.
        public let bytes: [UInt8]
        /// The name, when it is UTF-8: only then can an object key name it.
        public let name: String?
        /// Its type as `readdir` reports it (`DT_DIR`, `DT_REG`, ...): `DT_UNKNOWN` where the
        /// file system does not say, and `fstatat` must.
        public let type: UInt8

        /// The name NUL-terminated, for the `*at` calls.
        public var cName: [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }
    }

    /// Calls `body` with each entry `stream` (`opendir`/`fdopendir`) still has. Returns the errno
    /// of a `readdir` that failed, which ends the listing early, or 0 when it is complete.
    @discardableResult
    public static func forEach(in stream: OpaquePointer, _ body: (Entry) throws -> Void) rethrows -> Int32 {
        while true {
            errno = 0
            guard let entry = readdir(stream) else { return errno }
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [UInt8(ascii: ".")] || bytes == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            try body(Entry(bytes: bytes, name: String(validating: bytes, as: UTF8.self), type: entry.pointee.d_type))
        }
    }

    /// Every entry of the open directory `fd`, which stays open (a duplicate is read); or the
    /// name and errno of the call that failed.
    public static func of(directory fd: Int32) -> Result<[Entry], ListingError> {
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { return .failure(ListingError(call: "fcntl", code: errno)) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            _ = close(duplicate)
            return .failure(ListingError(call: "fdopendir", code: code))
        }
        defer { closedir(stream) }
        var entries: [Entry] = []
        let failed = forEach(in: stream) { entries.append($0) }
        return failed == 0 ? .success(entries) : .failure(ListingError(call: "readdir", code: failed))
    }

    /// A listing that failed: the call, and its errno.
    public struct ListingError: Error, Sendable {
        public let call: String
        public let code: Int32
    }
}
