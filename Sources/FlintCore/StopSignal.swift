#if canImport(Glibc)
internal import Glibc
#endif

/// Tells a thread waiting in poll(2) to stop: `descriptor` is one of the descriptors it polls,
/// and becomes readable, for good, once `signal()` is called.
public final class StopSignal: Sendable {
    public typealias CreationError = WakePipe.CreationError

    /// Never drained.
    private let pipe: WakePipe

    public init() throws(CreationError) {
        pipe = try WakePipe()
    }

    /// Poll it for `POLLIN`: readable once signalled.
    public var descriptor: Int32 { pipe.descriptor }

    public func signal() {
        pipe.signal()
    }

    /// Waits up to `milliseconds` (-1: without limit) for the signal; true once signalled.
    public func wait(milliseconds: Int32 = 0) -> Bool {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, milliseconds) > 0
    }
}
