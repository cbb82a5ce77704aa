internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// The admin API's bearer token, kept in a file only its owner can read.
enum AdminToken {
    /// Reads the token at `path`, or creates one (32 random bytes, hex) with mode 0600.
    static func loadOrCreate(at path: String) throws(DaemonError) -> String {
        if let existing = FileManager.default.contents(atPath: path) {
            let token = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else {
                throw .startup("\(path) holds no usable token (it is shorter than 32 characters); delete it and Flint makes a new one")
            }
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0 ..< 32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        // O_EXCL and mode 0600 at creation: the token is never readable by others, not even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .startup("cannot create \(path): \(String(cString: strerror(errno))); check the data directory's permissions")
        }
        defer { close(fd) }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw .startup("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return token
    }

    /// Whether an `Authorization` header carries `token` as `Bearer TOKEN`.
    static func authorizes(_ header: String?, _ token: String) -> Bool {
        guard let presented = bearer(in: header) else { return false }
        return matches(presented, token)
    }

    /// Compares without leaking the position of the first difference through timing.
    static func matches(_ presented: Substring, _ token: String) -> Bool {
        let a = Array(presented.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The token presented as `Authorization: Bearer TOKEN`, if any.
    static func bearer(in header: String?) -> Substring? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return header.dropFirst(7).drop { $0 == " " }
    }
}
