public import FlintCore
public import Logging
internal import Synchronization

/// Routes invocations to functions: admits each within its function's concurrency limit, runs it
/// through the executor, records it, and tells the observer.
public final class Dispatcher: Sendable {
    /// Tunables with production defaults.
    public struct Settings: Sendable {
        /// Synchronous invocations that may wait for a slot per function before 429s begin.
        public var queueCapacityPerFunction: Int
        /// The most handler processes running at once, all functions together (`concurrency` in
        /// flint.yaml); each function's own `concurrency` applies within it.
        public var hostConcurrency: Int

        public init(queueCapacityPerFunction: Int = 256, hostConcurrency: Int = .max) {
            precondition(hostConcurrency > 0, "Dispatcher.Settings.hostConcurrency must be positive")
            self.queueCapacityPerFunction = queueCapacityPerFunction
            self.hostConcurrency = hostConcurrency
        }
    }

    private struct Route: Sendable {
        let function: FunctionManifest
        let limiter: ConcurrencyLimiter
    }

    private struct InFlight {
        var count = 0
        var accepting = true
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let routes: [String: Route]
    private let host: HostCapacity
    private let executor: any InvocationExecutor
    private let recorder: any InvocationRecorder
    private let observer: @Sendable (InvocationResult) -> Void
    private let logger: Logger
    private let inFlight = Mutex(InFlight())
    /// Set once by the bus consumer. Boxed in a class: a closure stored directly in a `Mutex` is
    /// re-wrapped in reabstraction thunks on every `withLock` round trip, and this one is read on
    /// every invocation (an earlier version grew a chain of thousands of thunks until the stack
    /// overflowed).
    private let capacityObserver = Mutex<CapacityObserver?>(nil)
    /// The dispatcher that replaced this one (a reloaded project): synchronous invocations that
    /// reach this one once it has stopped accepting — a request that arrived just before the
    /// reload — run there instead of being refused.
    private let successor = Mutex<Dispatcher?>(nil)

    private final class CapacityObserver: Sendable {
        let notify: @Sendable (String) -> Void
        init(_ notify: @escaping @Sendable (String) -> Void) { self.notify = notify }
    }

    /// - Parameters:
    ///   - observer: told of every finished invocation (the `flint up` console line).
    ///   - previous: the dispatcher this one replaces (a reloaded project). Its slots carry over —
    ///     the host-wide ones, and each function's, whatever its new concurrency — so the
    ///     invocations it still runs count against the limits here too. Building this one hands
    ///     them over at once (a replaced function's slots are taken only here from then on), so
    ///     build it once the replacement is certain.
    public init(
        functions: some Sequence<FunctionManifest>,
        executor: any InvocationExecutor,
        recorder: any InvocationRecorder,
        settings: Settings = .init(),
        logger: Logger,
        replacing previous: Dispatcher? = nil,
        observer: @escaping @Sendable (InvocationResult) -> Void = { _ in }
    ) {
        var routes: [String: Route] = [:]
        for function in functions {
            let previousLimiter = previous?.routes[function.name]?.limiter
            let limiter: ConcurrencyLimiter
            if let previousLimiter, previousLimiter.limit == function.concurrency, previousLimiter.queueCapacity == settings.queueCapacityPerFunction {
                limiter = previousLimiter
            } else {
                limiter = ConcurrencyLimiter(limit: function.concurrency, queueCapacity: settings.queueCapacityPerFunction)
                previousLimiter?.handOver(to: limiter)
            }
            routes[function.name] = Route(function: function, limiter: limiter)
        }
        self.routes = routes
        if let previous, previous.host.limit == settings.hostConcurrency {
            self.host = previous.host
        } else {
            self.host = HostCapacity(limit: settings.hostConcurrency)
        }
        self.executor = executor
        self.recorder = recorder
        self.observer = observer
        self.logger = logger
        previous?.successor.withLock { $0 = self }
    }

    /// The functions, sorted by name.
    public var functions: [FunctionManifest] { routes.values.map(\.function).sorted { $0.name < $1.name } }

    public func function(named name: String) -> FunctionManifest? { routes[name]?.function }

    /// The most handler processes running at once, all functions together.
    public var hostConcurrency: Int { host.limit }

    /// Handler processes of `function` running right now.
    public func running(_ function: String) -> Int { host.running(function) }

    /// Handler processes running right now, all functions together.
    public var running: Int { host.running }

    /// Synchronous invocations of `function` waiting for a free slot of its own right now (those
    /// waiting for a host-wide slot count as `waitingForHost`).
    public func waiting(_ function: String) -> Int { routes[function]?.limiter.waiting ?? 0 }

    /// Synchronous invocations admitted by their function and waiting for a host-wide slot.
    public var waitingForHost: Int { host.waiting }

    /// Synchronous invocations of `function` waiting to run right now: for a slot of its own, or
    /// (admitted by it) for a host-wide one.
    public func waitingToRun(_ function: String) -> Int { waiting(function) + host.waiting(function) }

    /// Whether it still takes work (false once `drain()` has begun).
    public var isAccepting: Bool { inFlight.withLock { $0.accepting } }

    /// Runs `request` once its function has a free slot, records it, and returns the result.
    public func invoke(_ request: InvocationRequest) async throws(DispatchError) -> InvocationResult {
        guard let route = routes[request.function] else { throw .unknownFunction(request.function) }
        let admitted = inFlight.withLock { state -> Bool in
            guard state.accepting else { return false }
            state.count += 1
            return true
        }
        guard admitted else {
            if let successor = successor.withLock({ $0 }) { return try await successor.invoke(request) }
            throw .shuttingDown
        }
        defer { leave() }

        let name = route.function.name
        let caller = CallerPresence.current
        guard await route.limiter.acquire(caller: caller) else {
            if caller?.isGone == true { throw .callerGone(name) }
            throw .overloaded(name, limit: route.function.concurrency)
        }
        guard await host.acquire(for: name, caller: caller) else {
            // Cancelled while waiting for a host-wide slot: the caller is gone.
            route.limiter.release()
            notifyCapacity(name)
            throw .callerGone(name)
        }
        let result = await run(request, function: route.function)
        host.release(for: name)
        route.limiter.release()
        notifyCapacity(name)

        recorder.record(result)
        observer(result)
        if !result.record.outcome.isSuccess {
            var metadata: Logger.Metadata = [
                "flint.invocation.id": "\(result.record.id)",
                "flint.function": "\(result.record.function)",
                "flint.source": "\(result.record.source.rawValue)",
                "flint.outcome": "\(result.record.outcome.rawValue)",
            ]
            if let trigger = result.record.trigger { metadata["flint.trigger"] = "\(trigger)" }
            logger.debug("invocation failed", metadata: metadata)
        }
        return result
    }

    // MARK: Work from the bus

    /// Tells `observer` (the bus consumer) whenever a slot of a function is given back.
    public func observeCapacity(_ observer: @escaping @Sendable (String) -> Void) {
        let box = CapacityObserver(observer)
        capacityObserver.withLock { $0 = box }
    }

    private func notifyCapacity(_ function: String) {
        let observer = capacityObserver.withLock { $0 }
        observer?.notify(function)
    }

    /// Takes up to `wanted` free slots of `function` without waiting — each one of the function's
    /// own and one of the host's — and none while synchronous callers wait for one or the
    /// dispatcher is draining. The bus consumer leases only as many deliveries as this grants, so
    /// what cannot start now stays in SQLite.
    public func tryAcquireSlots(_ function: String, upTo wanted: Int) -> Int {
        guard let route = routes[function], inFlight.withLock({ $0.accepting }) else { return 0 }
        let own = route.limiter.tryAcquire(upTo: wanted)
        guard own > 0 else { return 0 }
        let granted = host.tryAcquire(for: function, upTo: own)
        for _ in granted ..< own { route.limiter.release() }
        return granted
    }

    /// Gives back slots taken with `tryAcquireSlots` and not used.
    public func releaseSlots(_ function: String, count: Int) {
        guard let route = routes[function] else { return }
        for _ in 0 ..< count {
            host.release(for: function)
            route.limiter.release()
        }
        if count > 0 { notifyCapacity(function) }
    }

    /// Starts `invocation` in a slot already taken with `tryAcquireSlots`, records the result with
    /// what its `settle` derives from it (the bus deliveries it settles and the messages it
    /// publishes) in one transaction, and gives the slot back once that is committed: until
    /// then its deliveries are still leased, and the slot stands for them, so the deliveries
    /// leased never exceed what the function's slots can hold. It counts as in flight from this
    /// call on, so `drain()` waits for it even if its task has not started yet.
    ///
    /// Returns false, starting nothing, once the dispatcher has stopped taking work (a drain that
    /// already saw nothing in flight must not see it start): the slot and the deliveries are then
    /// still the caller's to give back.
    ///
    /// The invocation starts on the calling thread (the bus consumer's, or a publisher's) and
    /// leaves it at its first suspension, once its process is handed to a supervisor thread:
    /// starting it through Swift's cooperative pool instead took 0.15–0.27 ms from the claim
    /// (0.11 ms this way).
    ///
    /// With a `handoff`, the transaction that settles it may also claim the next delivery of its
    /// subscription: the slot then runs that one (on the ledger writer's thread, right after the
    /// commit), and so on, rather than being given back.
    public func startHoldingSlot(_ invocation: SlotInvocation) -> Bool {
        guard let route = routes[invocation.request.function], admit() else { return false }
        runHoldingSlot(invocation, route: route)
        return true
    }

    /// Runs `invocation` in a slot of `route`'s function already held, already counted in flight.
    private func runHoldingSlot(_ invocation: SlotInvocation, route: Route) {
        Task.immediate { [self] in
            defer { leave() }
            let result = await run(invocation.request, function: route.function)
            let (settlements, publications) = invocation.settle(result, route.function)
            let handoff = invocation.handoff
            recorder.record(result, settlements: settlements, publications: publications, handoff: handoff) { [self] claimed, claimedAt in
                if let handoff, !claimed.isEmpty {
                    let next = handoff.next(claimed)
                    // Asked again: the consumer may have paused (the daemon stopping) since the claim.
                    if next.request.function == route.function.name, handoff.claim.wanted(), admit() {
                        runHoldingSlot(next, route: route)
                        return
                    }
                    handoff.giveBack(claimed, claimedAt)
                }
                host.release(for: route.function.name)
                route.limiter.release()
                notifyCapacity(route.function.name)
            }
            observer(result)
        }
    }

    /// Counts an invocation started in a slot already held as in flight, unless the dispatcher
    /// has stopped accepting work (a drain that already saw nothing in flight must not see it start).
    private func admit() -> Bool {
        inFlight.withLock { state in
            guard state.accepting else { return false }
            state.count += 1
            return true
        }
    }

    /// Runs `request`, unless the loop guard stops it.
    private func run(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        if let stopped = LoopGuard.stop(request, function: function) { return stopped }
        return await executor.execute(request, function: function)
    }

    /// Refuses new invocations from now on and returns once those in flight have finished.
    public func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = inFlight.withLock { state -> Bool in
                state.accepting = false
                if state.count == 0 { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func leave() {
        let waiters = inFlight.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.drainWaiters.removeAll() }
            return state.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
