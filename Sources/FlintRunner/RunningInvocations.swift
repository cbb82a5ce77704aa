import Synchronization

/// The cancellation signals of the invocations a runner has in flight, so that a stopping daemon
/// can kill them all once its drain deadline has passed.
final class RunningInvocations: Sendable {
    private struct State {
        var next = 0
        var signals: [Int: CancellationSignal] = [:]
        var interrupted = false
    }

    private let state = Mutex(State())

    /// Registers `signal` until `remove`; fires it at once if `interruptAll` came first.
    func add(_ signal: CancellationSignal) -> Int {
        let (key, interrupted) = state.withLock { state -> (Int, Bool) in
            state.next += 1
            state.signals[state.next] = signal
            return (state.next, state.interrupted)
        }
        if interrupted { signal.fire() }
        return key
    }

    /// Unregisters the signal `key` names, before its owner closes it.
    func remove(_ key: Int) {
        _ = state.withLock { $0.signals.removeValue(forKey: key) }
    }

    /// Fires every registered signal, and those registered from now on; returns how many were in flight.
    ///
    /// Under the lock, so `remove` (and the close after it) waits until the fire has been written.
    @discardableResult
    func interruptAll() -> Int {
        state.withLock { state in
            state.interrupted = true
            for signal in state.signals.values { signal.fire() }
            return state.signals.count
        }
    }
}
