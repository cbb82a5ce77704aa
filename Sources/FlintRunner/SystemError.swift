internal import CFlintSpawn

/// A failed system call: which one, and its errno.
struct SystemError: Error, Equatable, CustomStringConvertible {
    /// The system call (or libc function) that failed.
    var call: String
    /// The errno it reported.
    var errno: CInt

    init(_ call: String, errno: CInt) {
        self.call = call
        self.errno = errno
    }

    /// The errno's text, e.g. "No such file or directory".
    var reason: String { Self.describe(errno: errno) }

    var description: String { "\(call): \(reason)" }

    static func describe(errno: CInt) -> String {
        String(cString: flint_errno_description(errno))
    }
}
