#if canImport(Glibc)
internal import Glibc
#endif

/// Tells a thread waiting in poll(2) to stop: `descriptor` (a pipe's read end) is one of the
/// descriptors it polls, and becomes readable, for good, once `signal()` is called.
public final class StopSignal: Sendable {
    /// Why the pipe could not be made.
    public struct CreationError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Poll it for `POLLIN`: readable once signalled.
    public let descriptor: Int32
    private let writeEnd: Int32

    public init() throws(CreationError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw CreationError(description: "pipe failed: \(String(cString: strerror(errno)))")
        }
        // Kept out of every exec (handlers are spawned with close_range, but not every child is).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits up to `milliseconds` (-1: without limit) for the signal; true once signalled.
    public func wait(milliseconds: Int32 = 0) -> Bool {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, milliseconds) > 0
    }
}
