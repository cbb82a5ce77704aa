internal import DequeModule
internal import Synchronization

/// The host-wide cap on handler processes running at once (`concurrency` in flint.yaml), shared
/// fairly between functions.
///
/// An invocation first takes one of its function's slots (`ConcurrencyLimiter`), then one of
/// these. Waiters queue per function, and a freed slot goes to the functions with waiters in
/// turn, so a function with many callers waiting cannot keep another's single caller behind all
/// of them. Work from the bus takes only slots no caller waits for: it can wait in SQLite.
final class HostCapacity: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var running = 0
        var runningByFunction: [String: Int] = [:]
        var waiters: [String: Deque<Waiter>] = [:]
        /// Functions with waiters, in the order their next waiter is served.
        var turns = Deque<String>()
        var nextWaiterID: UInt64 = 0

        mutating func admit(_ function: String, count: Int = 1) {
            running += count
            runningByFunction[function, default: 0] += count
        }
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        precondition(limit > 0, "HostCapacity needs a positive limit")
        self.limit = limit
    }

    /// Slots held right now, all functions together.
    var running: Int { state.withLock { $0.running } }

    /// Slots `function` holds right now.
    func running(_ function: String) -> Int { state.withLock { $0.runningByFunction[function] ?? 0 } }

    /// Callers waiting for a slot right now, all functions together.
    var waiting: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    /// Callers of `function` waiting for a slot right now.
    func waiting(_ function: String) -> Int { state.withLock { $0.waiters[function]?.count ?? 0 } }

    /// Waits for a slot for `function`. Returns false only when the task was cancelled, or
    /// `caller` went away, first.
    func acquire(for function: String, caller: CallerPresence? = nil) async -> Bool {
        let id = state.withLock { state -> UInt64? in
            // Free and nobody ahead: the common case, without suspending.
            if state.running < limit, state.turns.isEmpty {
                state.admit(function)
                return nil
            }
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        guard let id else { return true }
        return await caller.watching(onGone: { [self] in leaveLine(id, function: function) }) {
            await waitInLine(id: id, function: function, caller: caller)
        }
    }

    private func waitInLine(id: UInt64, function: String, caller: CallerPresence?) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                enum Decision { case admitted, cancelled, queued }
                let decision = state.withLock { state -> Decision in
                    if Task.isCancelled || caller?.isGone == true { return .cancelled }
                    if state.running < limit, state.turns.isEmpty {
                        state.admit(function)
                        return .admitted
                    }
                    if state.waiters[function, default: []].isEmpty { state.turns.append(function) }
                    state.waiters[function, default: []].append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch decision {
                case .admitted: continuation.resume(returning: true)
                case .cancelled: continuation.resume(returning: false)
                case .queued: break
                }
            }
        } onCancel: {
            leaveLine(id, function: function)
        }
    }

    /// The waiter `id` of `function` gives up its place (its task was cancelled, or its caller
    /// went away).
    private func leaveLine(_ id: UInt64, function: String) {
        let cancelled = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard var queue = state.waiters[function], let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = queue.remove(at: index)
            if queue.isEmpty {
                state.waiters[function] = nil
                state.turns.removeAll { $0 == function }
            } else {
                state.waiters[function] = queue
            }
            return waiter.continuation
        }
        cancelled?.resume(returning: false)
    }

    /// Takes up to `wanted` free slots for `function` without waiting, and none while any caller
    /// waits. Returns how many.
    func tryAcquire(for function: String, upTo wanted: Int) -> Int {
        state.withLock { state in
            guard state.turns.isEmpty else { return 0 }
            let granted = max(0, min(wanted, limit - state.running))
            if granted > 0 { state.admit(function, count: granted) }
            return granted
        }
    }

    /// Gives back a slot `function` held, handing it to the next function in turn that has a
    /// caller waiting, if any.
    func release(for function: String) {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            let held = (state.runningByFunction[function] ?? 0) - 1
            state.runningByFunction[function] = held > 0 ? held : nil
            guard let turn = state.turns.popFirst(), var queue = state.waiters[turn], let waiter = queue.popFirst() else {
                state.running -= 1
                return nil
            }
            if queue.isEmpty {
                state.waiters[turn] = nil
            } else {
                state.waiters[turn] = queue
                state.turns.append(turn)
            }
            // The slot passes on: `running` stays the same.
            state.runningByFunction[turn, default: 0] += 1
            return waiter.continuation
        }
        next?.resume(returning: true)
    }
}
