import FlintCore
import NIOCore
import Synchronization

/// The warm instances of one function: idle ones are reused (the most recently used first, so
/// the others go idle and stop), and no more than the function's `concurrency` are alive at once,
/// counting those still exiting.
///
/// A caller on an event loop gets an idle instance of that loop first: its request and the
/// instance's Runtime API exchange then run on one thread, with no hand-off between threads.
final class FunctionInstancePool: Sendable {
    /// What `acquire` grants.
    enum Lease {
        /// An idle instance of the same manifest.
        case warm(LambdaInstance)
        /// A slot to start a new instance in.
        case cold
        /// The runner is shutting down.
        case closed
    }

    /// A caller of `acquire` waiting, with the manifest it needs an instance of.
    private struct Waiter {
        let function: FunctionManifest
        let continuation: CheckedContinuation<Lease, Never>
    }

    private struct State {
        var idle: [LambdaInstance] = []
        /// Instances alive (started and not yet exited), idle or not.
        var live: [ObjectIdentifier: LambdaInstance] = [:]
        /// Live instances `renew` retired: stopped when their invocation ends, never idle again,
        /// still counted in `live` until they exit.
        var retiring: Set<ObjectIdentifier> = []
        /// Slots granted for new instances not yet `started`.
        var starting = 0
        /// Callers waiting for an instance or a slot; rare: the dispatcher admits at most
        /// `concurrency` invocations, so they only wait for instances that are exiting.
        var waiters: [Waiter] = []
        var closed = false

        /// The most recently used idle instance of `function` on `eventLoop`, else the most
        /// recently used one; idle instances of another manifest found on the way go to `stale`.
        mutating func takeIdle(
            for function: FunctionManifest, preferring eventLoop: (any EventLoop)?, stale: inout [LambdaInstance]
        ) -> LambdaInstance? {
            if let eventLoop, let index = idle.lastIndex(where: { $0.eventLoop === eventLoop && $0.function == function }) {
                return idle.remove(at: index)
            }
            while let instance = idle.popLast() {
                if instance.function == function { return instance }
                stale.append(instance)
            }
            return nil
        }

        /// Reserves a slot for a new instance if fewer than `limit` are alive or starting.
        mutating func grantSlot(limit: Int) -> Bool {
            guard live.count + starting < limit else { return false }
            starting += 1
            return true
        }
    }

    private let state = Mutex(State())

    init() {}

    /// An idle instance for `function`, or a slot for a new one, waiting while `concurrency`
    /// instances are alive and none is idle. Idle instances of an older manifest are stopped.
    func acquire(for function: FunctionManifest, preferring eventLoop: (any EventLoop)? = nil) async -> Lease {
        var stale: [LambdaInstance] = []
        let granted = state.withLock { state -> Lease? in
            guard !state.closed else { return .closed }
            if let instance = state.takeIdle(for: function, preferring: eventLoop, stale: &stale) { return .warm(instance) }
            return state.grantSlot(limit: function.concurrency) ? .cold : nil
        }
        for instance in stale { _ = instance.stop() }
        if let granted { return granted }
        return await withCheckedContinuation { continuation in
            var stale: [LambdaInstance] = []
            let lease = state.withLock { state -> Lease? in
                if state.closed { return .closed }
                if let instance = state.takeIdle(for: function, preferring: eventLoop, stale: &stale) { return .warm(instance) }
                if state.grantSlot(limit: function.concurrency) { return .cold }
                state.waiters.append(Waiter(function: function, continuation: continuation))
                return nil
            }
            for instance in stale { _ = instance.stop() }
            if let lease { continuation.resume(returning: lease) }
        }
    }

    /// Counts a new instance as alive (in the slot `acquire` granted).
    func started(_ instance: LambdaInstance) {
        state.withLock { state in
            state.starting -= 1
            state.live[ObjectIdentifier(instance)] = instance
        }
    }

    /// Gives back a slot `acquire` granted for an instance that was never made.
    func abandonSlot() {
        let waiter = state.withLock { state -> CheckedContinuation<Lease, Never>? in
            state.starting -= 1
            // The slot passes to a waiter only within its manifest's concurrency (a reload may have lowered it).
            guard let first = state.waiters.first, state.grantSlot(limit: first.function.concurrency) else { return nil }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: .cold)
    }

    /// Where a released instance went.
    enum Release {
        /// Into the idle list: it should stop after the function's `idle`.
        case idle
        /// Straight to a waiting caller.
        case handedOver
        /// Nowhere: the runner is shutting down, or `renew` retired it; it should stop now.
        case stop
        /// Nowhere: its process has already exited.
        case exited
    }

    /// Takes back an instance that finished its invocation and can take another.
    func release(_ instance: LambdaInstance) -> Release {
        let (release, waiter) = state.withLock { state -> (Release, CheckedContinuation<Lease, Never>?) in
            let id = ObjectIdentifier(instance)
            if state.closed || state.retiring.contains(id) { return (.stop, nil) }
            // Exited between its answer and this release: `exited` has already freed its slot.
            guard state.live[id] != nil else { return (.exited, nil) }
            if let first = state.waiters.first {
                // A waiter for another manifest gets a new instance once this one has exited.
                guard first.function == instance.function else { return (.stop, nil) }
                return (.handedOver, state.waiters.removeFirst().continuation)
            }
            state.idle.append(instance)
            return (.idle, nil)
        }
        waiter?.resume(returning: .warm(instance))
        return release
    }

    /// Takes an idle instance out of the pool so that it can be stopped; false when it has been
    /// handed out again meanwhile.
    func retireIfIdle(_ instance: LambdaInstance) -> Bool {
        state.withLock { state in
            guard let index = state.idle.firstIndex(where: { $0 === instance }) else { return false }
            state.idle.remove(at: index)
            return true
        }
    }

    /// The instance's process has exited: its slot is free (for a waiting caller first).
    func exited(_ instance: LambdaInstance) {
        let waiter = state.withLock { state -> CheckedContinuation<Lease, Never>? in
            state.live[ObjectIdentifier(instance)] = nil
            state.retiring.remove(ObjectIdentifier(instance))
            state.idle.removeAll { $0 === instance }
            // The freed slot goes to the waiter, for a new instance, if its manifest's concurrency
            // allows one more: instances of an older manifest (retiring after a reload that
            // lowered it) still count.
            guard !state.closed, let first = state.waiters.first, state.grantSlot(limit: first.function.concurrency) else { return nil }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: .cold)
    }

    /// Retires every instance alive now: returns the idle ones, to be stopped at once; busy ones
    /// are stopped when their invocation ends (`release` says `.stop`). All of them count against
    /// the function's `concurrency` until they have exited.
    func renew() -> [LambdaInstance] {
        state.withLock { state in
            state.retiring.formUnion(state.live.keys)
            defer { state.idle.removeAll() }
            return state.idle
        }
    }

    /// Instances alive right now, idle or busy.
    var liveCount: Int { state.withLock { $0.live.count } }

    /// Refuses new work; returns every instance still alive, to be stopped.
    func close() -> [LambdaInstance] {
        let (instances, waiters) = state.withLock { state in
            state.closed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return (Array(state.live.values), state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(returning: .closed) }
        return instances
    }
}
