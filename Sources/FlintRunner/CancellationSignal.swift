internal import CFlintSpawn
import Glibc

/// An eventfd that Swift's task cancellation writes to and the supervisor's poll loop watches.
/// Its owner closes it once neither side can use it any more.
struct CancellationSignal: Sendable {
    let fd: CInt

    init() throws(SystemError) {
        fd = try systemCall("eventfd") { flint_eventfd() }
    }

    /// Wakes the supervisor. Safe from any thread, any number of times.
    func fire() {
        var one: UInt64 = 1
        // Cannot fail but for an overflowing counter, which leaves it readable all the same.
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    func close() {
        Sys.close(fd)
    }
}
