internal import DequeModule
internal import Synchronization

/// Admits at most `limit` holders at once; up to `queueCapacity` more wait in FIFO order, and
/// anyone beyond that is refused at once (the caller answers 429).
final class ConcurrencyLimiter: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var running = 0
        var waiters = Deque<Waiter>()
        var nextWaiterID: UInt64 = 0
        /// The limiter that replaced this one (a reload changed the function's concurrency): it
        /// counts this one's holders as its own, so each slot given back here frees one there.
        var successor: ConcurrencyLimiter?
    }

    let limit: Int
    let queueCapacity: Int
    private let state = Mutex(State())

    init(limit: Int, queueCapacity: Int) {
        self.limit = limit
        self.queueCapacity = queueCapacity
    }

    /// Holders right now.
    var running: Int { state.withLock { $0.running } }

    /// Callers waiting for a slot right now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for a slot. Returns false when the queue is full, or when the task was cancelled or
    /// `caller` went away while it waited.
    func acquire(caller: CallerPresence? = nil) async -> Bool {
        enum Admission { case admitted, refused, queued(UInt64) }
        // Fast path without suspending: the common case under the limit.
        let admission = state.withLock { state -> Admission in
            if state.running < limit {
                Self.admit(&state)
                return .admitted
            }
            return state.waiters.count < queueCapacity ? .queued(0) : .refused
        }
        switch admission {
        case .admitted: return true
        case .refused: return false
        case .queued: break
        }
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await caller.watching(onGone: { [self] in leaveLine(id) }) { await waitInLine(id: id, caller: caller) }
    }

    private func waitInLine(id: UInt64, caller: CallerPresence?) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                enum Decision { case admitted, refused, queued }
                let decision = state.withLock { state -> Decision in
                    if Task.isCancelled || caller?.isGone == true { return .refused }
                    if state.running < limit {
                        Self.admit(&state)
                        return .admitted
                    }
                    guard state.waiters.count < queueCapacity else { return .refused }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch decision {
                case .admitted: continuation.resume(returning: true)
                case .refused: continuation.resume(returning: false)
                case .queued: break
                }
            }
        } onCancel: {
            leaveLine(id)
        }
    }

    /// The waiter `id` gives up its place (its task was cancelled, or its caller went away).
    private func leaveLine(_ id: UInt64) {
        let cancelled = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        cancelled?.resume(returning: false)
    }

    /// Takes up to `wanted` free slots without waiting, and only when no caller is waiting:
    /// work that can wait in the bus never jumps ahead of a synchronous request. Returns how many.
    func tryAcquire(upTo wanted: Int) -> Int {
        state.withLock { state in
            // Replaced: work that can wait goes to the successor's consumer.
            guard state.waiters.isEmpty, state.successor == nil else { return 0 }
            let granted = max(0, min(wanted, limit - state.running))
            state.running += granted
            return granted
        }
    }

    /// Gives a slot back, handing it straight to the longest waiter if there is one.
    func release() {
        let (next, successor) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, ConcurrencyLimiter?) in
            if let waiter = state.waiters.popFirst() {
                return (waiter.continuation, nil)  // the slot passes on; `running` stays the same
            }
            state.running -= 1
            return (nil, state.successor)
        }
        next?.resume(returning: true)
        successor?.release()
    }

    /// One more holder; counted by the successor too, which its release will free a slot of.
    private static func admit(_ state: inout State) {
        state.running += 1
        state.successor?.state.withLock { $0.running += 1 }
    }

    /// `successor` replaces this limiter (its function's concurrency changed): the holders here
    /// count against its limit until they give their slots back, which frees them there too.
    /// Callers still waiting here are admitted here, into slots the successor already counts.
    func handOver(to successor: ConcurrencyLimiter) {
        state.withLock { state in
            state.successor = successor
            // Lock order: the older limiter's, then the newer's.
            successor.state.withLock { $0.running += state.running }
        }
    }
}
