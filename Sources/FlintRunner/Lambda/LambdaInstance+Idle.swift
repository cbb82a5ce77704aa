import FlintCore
import NIOCore

/// Scale to zero: an instance idle for its function's `idle` leaves the pool and stops.
extension LambdaInstance {
    /// The instance has nothing to do from now on. One timer at a time watches for `idle`: it is
    /// not moved on every invocation (that would cost a trip to the event loop each time), but
    /// checks when it fires whether the instance has been idle long enough.
    func becameIdle() {
        idleSince = Sys.monotonicNanoseconds()
        if idleTimer == nil { scheduleIdleCheck(in: function.idle.nanoseconds) }
    }

    func becameBusy() {
        idleSince = nil
    }

    private func scheduleIdleCheck(in nanoseconds: Int64) {
        idleTimer = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { self.checkIdle() }
    }

    private func checkIdle() {
        idleTimer = nil
        // Busy: the invocation's end starts the next idle period.
        guard phase == .ready, stopReason == nil, invocation == nil, let idleSince else { return }
        let remaining = idleSince + function.idle.nanoseconds - Sys.monotonicNanoseconds()
        if remaining > 0 {
            scheduleIdleCheck(in: remaining)
        } else if retire(self) {
            _ = stop()
        } else {
            // Handed out again, or not yet back in the pool's idle list: look again later.
            scheduleIdleCheck(in: function.idle.nanoseconds)
        }
    }
}
