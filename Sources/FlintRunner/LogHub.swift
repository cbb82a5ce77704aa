public import Foundation
internal import Synchronization

/// A bounded, in-memory fan-out of handler log lines to live followers (`flint logs -f`).
///
/// Runners publish each line as they read it; followers subscribe to a function, or to one of
/// its invocations. Publishing never waits: each follower has a queue bounded in bytes, and a
/// follower that reads too slowly loses lines (and is told how many) instead of holding up a
/// handler or the thread that supervises it. The hub keeps no lines of its own, and with nobody
/// following, publishing costs one atomic load (`isFollowed`).
///
/// Runners of any kind feed it: call `publish(function:invocation:text:)` per line, or feed raw
/// bytes through a `LogLineSplitter`. `begin`/`end` bracket each invocation, so that a follower of
/// one invocation knows whether it is running and when it is over. A runner that reads the log
/// through a `LogCapture` also lets a follower of one running invocation start with the lines
/// read before it came.
public final class LogHub: Sendable {
    private struct State {
        var followers: [UInt64: LogFollower] = [:]
        var nextID: UInt64 = 0
        /// Running invocations: id → function.
        var running: [String: String] = [:]
        /// The logs of running invocations whose runner captures them, until `end`.
        var captures: [String: LogCapture] = [:]
        var isClosed = false
    }

    /// Bytes of unread lines each follower may have queued before lines are dropped for it.
    public let bufferLimit: Int
    private let state = Mutex(State())
    /// How many followers there are, readable without the lock.
    private let followerCount = Atomic<Int>(0)

    /// - Parameter bufferLimit: bytes of unread lines per follower (1 MiB); must be positive.
    public init(bufferLimit: Int = 1024 * 1024) {
        precondition(bufferLimit > 0, "LogHub.bufferLimit must be positive")
        self.bufferLimit = bufferLimit
    }

    // MARK: Publishing

    /// Whether anyone follows `function` now: lets a runner skip splitting lines nobody reads.
    public func isFollowed(_ function: String) -> Bool {
        guard followerCount.load(ordering: .relaxed) > 0 else { return false }
        return state.withLock { state in state.followers.values.contains { $0.function == function } }
    }

    /// Hands one line of `invocation`'s log to the followers of `function` (and of that invocation).
    public func publish(function: String, invocation: String, text: String, time: Date = Date()) {
        guard followerCount.load(ordering: .relaxed) > 0 else { return }
        let event = HandlerLogEvent.line(HandlerLogLine(time: time, function: function, invocation: invocation, text: text))
        let waiters = state.withLock { state in
            var waiters: [CheckedContinuation<HandlerLogEvent?, Never>] = []
            for id in Array(state.followers.keys) where state.followers[id]?.wants(function: function, invocation: invocation) == true {
                if let waiter = state.followers[id]?.offer(event, byteLimit: bufferLimit) { waiters.append(waiter) }
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: event) }
    }

    /// Marks `invocation` of `function` as running.
    public func begin(invocation: String, function: String) {
        state.withLock { $0.running[invocation] = function }
    }

    /// Marks `invocation` as over and ends the subscriptions that follow it. Call it once its
    /// record has been handed to the ledger, so that a follower that misses the end finds it there.
    public func end(invocation: String) {
        deliver(.invocationEnded(invocation)) { state in
            state.running[invocation] = nil
            state.captures[invocation] = nil
            return { $0.invocation == invocation }
        }
    }

    /// Makes `capture` the log of running `invocation` of `function` (after `begin`), for those
    /// who start to follow it later; those who follow it already get `backlog` first. Called
    /// by `capture`, under its lock.
    func attach(_ capture: LogCapture, invocation: String, function: String, backlog: [HandlerLogLine]) {
        let waiters = state.withLock { state in
            var waiters: [(CheckedContinuation<HandlerLogEvent?, Never>, HandlerLogEvent)] = []
            guard state.running[invocation] == function else { return waiters }
            state.captures[invocation] = capture
            for (id, follower) in state.followers where follower.invocation == invocation && follower.function == function {
                for event in backlog.map(HandlerLogEvent.line) {
                    if let waiter = state.followers[id]?.offer(event, byteLimit: bufferLimit) { waiters.append((waiter, event)) }
                }
            }
            return waiters
        }
        for (waiter, event) in waiters { waiter.resume(returning: event) }
    }

    /// Ends every subscription (the daemon is stopping) and refuses new ones.
    public func close() {
        deliver(.stopped) { state in
            state.isClosed = true
            return { _ in true }
        }
    }

    /// Offers a final event to the followers `update` selects, removing those whose reader takes it at once.
    private func deliver(_ event: HandlerLogEvent, update: (inout State) -> (LogFollower) -> Bool) {
        let waiters = state.withLock { state in
            let selects = update(&state)
            var waiters: [CheckedContinuation<HandlerLogEvent?, Never>] = []
            for (id, follower) in state.followers where selects(follower) {
                if let waiter = state.followers[id]?.offer(event, byteLimit: bufferLimit) {
                    waiters.append(waiter)
                    remove(id, from: &state)
                }
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: event) }
    }

    // MARK: Following

    /// Follows `function`'s log from now on, or only `invocation`'s (which then ends the
    /// subscription when it ends): all of its lines, those read before included, when it is
    /// running. After `close()`, the subscription yields `.stopped` at once.
    public func subscribe(function: String, invocation: String? = nil) -> LogSubscription {
        // A running invocation's capture, or a follower added before one can be attached (which
        // then hands it what was read before).
        enum Found { case follower(UInt64), capture(LogCapture) }
        let found = state.withLock { state in
            if let invocation, state.running[invocation] == function, let capture = state.captures[invocation] {
                return Found.capture(capture)
            }
            return Found.follower(addFollower(function: function, invocation: invocation, backlog: [], to: &state))
        }
        switch found {
        case .follower(let id):
            return LogSubscription(hub: self, id: id)
        case .capture(let capture):
            let id = capture.join { backlog in
                state.withLock { state in addFollower(function: function, invocation: invocation, backlog: backlog, to: &state) }
            }
            return LogSubscription(hub: self, id: id)
        }
    }

    /// A new follower, with `backlog` queued for it (or `.stopped` after `close()`).
    private func addFollower(function: String, invocation: String?, backlog: [HandlerLogLine], to state: inout State) -> UInt64 {
        let id = state.nextID
        state.nextID += 1
        var follower = LogFollower(function: function, invocation: invocation)
        if state.isClosed { _ = follower.offer(.stopped, byteLimit: bufferLimit) }
        for line in backlog { _ = follower.offer(.line(line), byteLimit: bufferLimit) }
        state.followers[id] = follower
        followerCount.add(1, ordering: .relaxed)
        return id
    }

    /// The function of `invocation` if it has begun and not ended. Asked after subscribing to it,
    /// nil means it has not begun yet or has already ended; its end cannot slip between the two.
    public func runningFunction(of invocation: String) -> String? {
        state.withLock { $0.running[invocation] }
    }

    /// The next event of subscription `id`, waiting for one; nil once it has ended or was cancelled.
    func next(_ id: UInt64) async -> HandlerLogEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<HandlerLogEvent?, Never>) in
                let ready: HandlerLogEvent?? = state.withLock { state in
                    guard state.followers[id] != nil, !Task.isCancelled else { return .some(nil) }
                    if let event = state.followers[id]?.take() {
                        if event.isFinal { remove(id, from: &state) }
                        return .some(event)
                    }
                    state.followers[id]?.waiter = continuation
                    return .none
                }
                if case .some(let event) = ready { continuation.resume(returning: event) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Ends subscription `id`: its parked reader, if any, gets nil.
    func cancel(_ id: UInt64) {
        let waiter = state.withLock { state in
            let waiter = state.followers[id]?.waiter
            remove(id, from: &state)
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    private func remove(_ id: UInt64, from state: inout State) {
        if state.followers.removeValue(forKey: id) != nil {
            followerCount.subtract(1, ordering: .relaxed)
        }
    }
}
