#if canImport(Glibc)
internal import Glibc
#endif

/// Wakes a thread waiting in poll(2): `descriptor` (a pipe's read end) becomes readable at
/// `signal()` and stays so until `drain()`, if ever.
public final class WakePipe: Sendable {
    /// Why the pipe could not be made.
    public struct CreationError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Poll it for `POLLIN`.
    public let descriptor: Int32
    private let writeEnd: Int32

    public init() throws(CreationError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw CreationError(description: "pipe failed: \(String(cString: strerror(errno)))")
        }
        // Kept out of every exec (handlers are spawned with close_range, but not every child is);
        // neither end may block the thread that uses it.
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    /// A full pipe is readable already: a write that would block is not needed.
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Makes `descriptor` unreadable again, until the next `signal()`.
    public func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &bytes, bytes.count) > 0 {}
    }
}
