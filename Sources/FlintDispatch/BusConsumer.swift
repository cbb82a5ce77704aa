internal import FlintCore
internal import Foundation
public import Logging
internal import Synchronization

/// Moves deliveries from the bus into invocations, never more than can start now.
///
/// One thread does the claiming: it wakes when something may have become claimable — a commit to
/// the database (`wake()`, driven by the WAL monitor), a slot freed while some function had work
/// but no slot (the freed slot may be the host-wide one it lacked), a retry delay or batching
/// window ending — takes free slots from the dispatcher, leases as many deliveries as those slots
/// can run, and starts the invocations. Between wake-ups it sleeps; with nothing due it has no
/// timer at all.
public final class BusConsumer: Sendable {
    public struct Settings: Sendable {
        public var retry: RetryPolicy
        public var identity: BusDelivery.Identity
        /// Added to the longest an invocation of the function may run to give a delivery's lease its length.
        public var leaseMargin: Duration
        /// The most invocations one subscription starts in one pass (others get their turn).
        public var invocationsPerPass: Int
        /// Most messages a pass fans out (one transaction); a backlog takes more passes. The
        /// bus's own batch (`Bus.fanOutBatch`), which this module cannot see.
        public var fanOutBatch: Int
        /// The largest event a batch makes (beyond a single message's): Lambda's payload limit.
        public var payloadLimit: Int

        public init(
            retry: RetryPolicy, identity: BusDelivery.Identity, fanOutBatch: Int, leaseMargin: Duration = .seconds(30),
            invocationsPerPass: Int = 64, payloadLimit: Int? = nil
        ) {
            self.retry = retry
            self.identity = identity
            self.leaseMargin = leaseMargin
            self.invocationsPerPass = invocationsPerPass
            self.fanOutBatch = fanOutBatch
            self.payloadLimit = payloadLimit ?? SQSEvent.payloadLimit
        }
    }

    private struct State {
        var wakePending = false
        var stopped = false
        /// Functions that had due work but no free slot: a freed slot of theirs wakes the loop.
        var starved: Set<String> = []
        /// Which of the due subscriptions a pass serves first (modulo how many are due): the next
        /// one after each pass that started something, so free slots go to each in turn.
        var passOffset = 0
        /// When the passes began to fail to read or write the bus (a full disk, an I/O error);
        /// nil once one succeeds.
        var failingSince: Date?
        /// Set by the pass in progress when it could not read or write the bus.
        var passFailed = false
        /// The daemon is stopping: nothing more is claimed, though `run()` goes on until `stop()`.
        var paused = false
        /// The subscriptions the latest pass found due: a slot goes on to the next delivery of its
        /// subscription (`SlotHandoff`) only while no other one was. Unknown (nil) until the first
        /// pass: other subscriptions may have a backlog from before.
        var lastDue: Set<String>?

        /// How long after `now` to look again, failing since `failingSince` (1 s if not failing).
        func retryDelay(at now: Date) -> Duration {
            BusConsumer.retryDelay(failingFor: now.timeIntervalSince(failingSince ?? now))
        }
    }

    /// How long the loop waits before looking again once passes have failed for `seconds`: no
    /// commit may come to wake it (a full disk frees up without one), so it looks by itself, as
    /// long after as it has been failing, from 1 s up to 30 s. By time rather than by count, as
    /// wake-ups may make many passes fail within a moment.
    static func retryDelay(failingFor seconds: TimeInterval) -> Duration {
        .seconds(Int(min(30, max(1, seconds.rounded(.up)))))
    }

    let subscriptions: [BusSubscription]
    private let subscriptionNames: [String]
    let dispatcher: Dispatcher
    let source: any DeliverySource
    let settings: Settings
    let logger: Logger
    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)

    public init(subscriptions: [BusSubscription], dispatcher: Dispatcher, source: any DeliverySource, settings: Settings, logger: Logger) {
        self.subscriptions = subscriptions.filter { dispatcher.function(named: $0.function) != nil }
        self.subscriptionNames = self.subscriptions.map(\.name)
        self.dispatcher = dispatcher
        self.source = source
        self.settings = settings
        self.logger = logger
    }

    /// Something may have become claimable: look again soon.
    public func wake() {
        let shouldSignal = state.withLock { state -> Bool in
            defer { state.wakePending = true }
            return !state.wakePending
        }
        if shouldSignal { signal.signal() }
    }

    /// Claims nothing more from now on; what waits stays in SQLite for the next start. A stopping
    /// daemon calls it first thing: otherwise, while its listener waits for the synchronous calls
    /// still running, each slot they free (or the drain deadline's kills free) would start more.
    public func pause() {
        state.withLock { $0.paused = true }
        signal.signal()
    }

    /// Stops claiming; invocations already started run on (the dispatcher drains them).
    public func stop() {
        state.withLock { $0.stopped = true }
        signal.signal()
    }

    /// Claims on a thread of its own until `stop()` (or cancellation).
    public func run() async {
        dispatcher.observeCapacity { [weak self] function in self?.slotFreed(function) }
        await DedicatedThread.run(named: "flint-bus", { [self] in loop() }, stop: { [self] in stop() })
    }

    /// A slot was given back. Any function that had due work but no slot may start now: the
    /// freed slot may be the host-wide one it lacked, not only one of its own.
    private func slotFreed(_ function: String) {
        let shouldWake = state.withLock { state -> Bool in
            let wasStarved = state.starved.remove(function) != nil
            return wasStarved || !state.starved.isEmpty
        }
        if shouldWake { wake() }
    }

    private func loop() {
        // The earliest known deadline. Once it has passed, leases that ran out are expired however
        // the loop was woken: under steady load it may never sleep long enough to time out.
        var deadline: Date? = .distantPast  // expire leases left over from before, once at start
        while true {
            let (stop, paused) = state.withLock { state -> (Bool, Bool) in
                state.wakePending = false
                return (state.stopped, state.paused)
            }
            if stop { return }
            if paused {
                signal.wait()
                continue
            }
            let now = Date()
            if let known = deadline, known <= now {
                do {
                    let expired = try source.expireLeases(now: now)
                    if expired > 0 { logger.warning("\(expired) delivery lease(s) expired; they will be delivered again") }
                } catch {
                    let retry = passFailing(now: now)
                    logger.error("could not expire leases: \(error); looking again in \(DurationText.format(retry))")
                }
                deadline = nextDeadline(now: now)
            }
            let windowDeadline = pass(now: now)
            // While the bus fails (a full disk), nothing is tried before the backoff says, however
            // far past the known deadlines are: a lease that could not be expired stays past.
            let retry = retryAfterFailure(now: now)
            deadline = retry ?? earliest(deadline, windowDeadline)
            // Woken meanwhile: look again at once, keeping the deadline already known.
            if state.withLock({ $0.wakePending || $0.stopped }) { continue }

            deadline = retry ?? earliest(windowDeadline, nextDeadline(now: now))
            if let deadline {
                let seconds = max(0, deadline.timeIntervalSinceNow) + 0.000_5
                _ = signal.wait(timeout: .now() + seconds)
            } else {
                signal.wait()
            }
        }
    }

    /// The next retry or lease expiry the bus knows of; when the bus cannot be read, as long
    /// after as the backoff of failing passes says (1 s at first).
    private func nextDeadline(now: Date) -> Date? {
        do {
            return try source.nextDeadline(subscriptions: subscriptionNames, now: now)
        } catch {
            let retry = state.withLock { $0.retryDelay(at: now) }
            logger.error("could not read the bus's next deadline: \(error); looking again in \(DurationText.format(retry))")
            return now.addingTimeInterval(retry.timeInterval)
        }
    }

    /// When to look again after this pass failed; nil when it did not.
    private func retryAfterFailure(now: Date) -> Date? {
        state.withLock { state -> Date? in
            defer { state.passFailed = false }
            guard state.passFailed else {
                state.failingSince = nil
                return nil
            }
            return now.addingTimeInterval(state.retryDelay(at: now).timeInterval)
        }
    }

    /// Notes that the pass at `now` could not read or write the bus; returns how long until the
    /// next try.
    private func passFailing(now: Date) -> Duration {
        state.withLock { state -> Duration in
            state.passFailed = true
            state.failingSince = state.failingSince ?? now
            return state.retryDelay(at: now)
        }
    }

    private func earliest(_ first: Date?, _ second: Date?) -> Date? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }

    /// Starts what can start; returns the earliest batching window still open, if any.
    private func pass(now: Date) -> Date? {
        defer { fanOutWhatNoClaimTook(now: now) }
        // One read tells which subscriptions have work: a commit that made nothing due (a settled
        // delivery, say) costs no claim at all, and one that did costs one claim, not one per
        // subscription (every function has one for its asynchronous invocations).
        let due: Set<String>
        do {
            due = try source.dueSubscriptions(among: subscriptionNames, now: now)
        } catch {
            let retry = passFailing(now: now)
            logger.error("could not read the bus: \(error); looking again in \(DurationText.format(retry))")
            return nil
        }
        let dueInOrder = subscriptions.filter { due.contains($0.name) }
        // Starved means due work and no slot: a function with nothing due is not.
        state.withLock { state in
            state.starved.formIntersection(dueInOrder.map(\.function))
            state.lastDue = due
        }
        guard !dueInOrder.isEmpty else { return nil }
        var windowDeadline: Date?
        // In turn among the due subscriptions only: turning through all of them (every function
        // has one for its asynchronous invocations, mostly idle) served first, more often, the due
        // one after a run of idle ones. And only once a pass has started something: passes that
        // find no free slot must not decide whose turn the next free one is.
        let first = state.withLock { $0.passOffset % dueInOrder.count }
        var started = 0
        defer {
            if started > 0 { state.withLock { $0.passOffset &+= 1 } }
        }
        for index in dueInOrder.indices {
            let subscription = dueInOrder[(index + first) % dueInOrder.count]
            do {
                let served = try serve(subscription, now: now)
                started += served.started
                if let deadline = served.windowDeadline {
                    windowDeadline = min(windowDeadline ?? deadline, deadline)
                }
            } catch {
                let retry = passFailing(now: now)
                logger.error(
                    "could not claim deliveries for \(subscription.name): \(error); looking again in \(DurationText.format(retry))",
                    metadata: ["flint.subscription": "\(subscription.name)", "flint.function": "\(subscription.function)"]
                )
            }
        }
        return windowDeadline
    }

    /// A publisher writes only the message; a claim writes the deliveries of what was published
    /// before it. Whatever is still not fanned out (no claim ran, or a backlog of more than one
    /// batch) is fanned out here, and then looked at again in another pass.
    private func fanOutWhatNoClaimTook(now: Date) {
        do {
            if try source.fanOut(limit: settings.fanOutBatch) > 0 {
                state.withLock { $0.wakePending = true }
            }
        } catch {
            let retry = passFailing(now: now)
            logger.error("could not write the deliveries of published messages: \(error); looking again in \(DurationText.format(retry))")
        }
    }

    /// Starts what `subscription` can start now. Returns the end of its batching window when it
    /// waits for a fuller batch, and how many invocations it started.
    private func serve(_ subscription: BusSubscription, now: Date) throws -> (windowDeadline: Date?, started: Int) {
        guard let function = dispatcher.function(named: subscription.function) else { return (nil, 0) }
        let wasStarved = state.withLock { !$0.starved.insert(function.name).inserted }
        let slots = dispatcher.tryAcquireSlots(function.name, upTo: settings.invocationsPerPass)
        guard slots > 0 else {
            // Stays starved only if there is work waiting (known already when it was starved
            // before: a freed slot would have taken it off); otherwise a commit will wake us.
            if !wasStarved, try source.due(subscription: subscription.name, limit: 1, now: now).count == 0 {
                state.withLock { _ = $0.starved.remove(function.name) }
            }
            return (nil, 0)
        }
        var used = 0
        defer {
            // Every slot used: more may be waiting, and a freed slot must wake the loop. Otherwise
            // nothing more is claimable now (a commit or a deadline will wake it), and giving the
            // unused slots back must not wake it either.
            if used < slots {
                state.withLock { _ = $0.starved.remove(function.name) }
                dispatcher.releaseSlots(function.name, count: slots - used)
            }
        }

        let batch = subscription.batch
        var limit = slots * batch
        var windowDeadline: Date?
        if subscription.window > .zero {
            // Only full batches until the oldest due message has waited the whole window.
            var due = try source.due(subscription: subscription.name, limit: limit, now: now)
            // Due, yet no delivery: its messages are published but not fanned out. Fanned out
            // now, so its window starts; left to another subscription's claim (which fans out
            // quietly) it would have no deadline, and wait for some other commit to wake the loop.
            // What this fans out may be due for subscriptions this pass has served already: they
            // look again (the fan-out, as a claim's, commits quietly).
            if due.count == 0, try source.fanOut(limit: settings.fanOutBatch) > 0 {
                state.withLock { $0.wakePending = true }
                due = try source.due(subscription: subscription.name, limit: limit, now: now)
            }
            guard due.count > 0 else { return (nil, 0) }
            var invocations = min(slots, (due.count + batch - 1) / batch)
            if due.count < limit, let oldest = due.oldestDueAt {
                let closes = oldest.addingTimeInterval(subscription.window.timeInterval)
                // As Lambda's, a window also ends once its messages fill an event.
                if closes > now, try !source.dueBytesReach(
                    settings.payloadLimit, subscription: subscription.name, limit: limit,
                    overheadPerMessage: SQSEvent.recordOverhead, now: now
                ) {
                    invocations = due.count / batch
                    windowDeadline = closes
                }
            }
            guard invocations > 0 else { return (windowDeadline, 0) }
            limit = invocations * batch
        }

        // Without a window, claiming is the check: one transaction whether or not anything is due.
        // Batches of large messages are leased only as far as the slots' invocations can carry
        // them (Lambda's payload limit each), rather than read into memory whole.
        var byteBudget = Int.max
        if batch > 1 {
            let (budget, overflow) = slots.multipliedReportingOverflow(by: settings.payloadLimit)
            byteBudget = overflow ? .max : budget
        }
        let claim = try source.claim(
            subscription: subscription.name, limit: limit, byteBudget: byteBudget, overheadPerMessage: SQSEvent.recordOverhead,
            leaseFor: function.longestInvocation + settings.leaseMargin, function: function.name, now: now
        )
        var rest = claim.leases[...]
        while !rest.isEmpty, used < slots {
            let (invocation, taken) = invocation(of: rest, for: subscription)
            // The dispatcher stopped taking work since the slots were taken: what is left goes back.
            guard dispatcher.startHoldingSlot(invocation) else { break }
            rest = rest.dropFirst(taken)
            used += 1
        }
        // What the budget left out is due now: with slots to spare, look again once this pass is
        // over (with none, a freed slot wakes the loop, as for any starved function).
        if claim.cutShort, used < slots { state.withLock { $0.wakePending = true } }
        // The pass's own limit, not the function's, held it back: the function may have more free
        // slots, and no settling commit may wake the loop for them (a slot handed on wakes no one).
        if used == settings.invocationsPerPass { state.withLock { $0.wakePending = true } }
        // Messages that escape to more than their size made the events fuller than the budget
        // foresaw: what no slot can carry goes back, as if it had not been claimed.
        if !rest.isEmpty {
            release(rest.map(\.token), claimedAt: now, of: subscription)
        }
        return (windowDeadline, used)
    }

    /// Whether a slot of `subscription`'s may go on to its next delivery: only while the consumer
    /// claims and the dispatcher takes work, no other subscription was due at the latest pass (a
    /// freed slot is then the pass's to share out), and no synchronous caller waits for a slot of
    /// the function or the host's.
    func mayHandOff(to subscription: BusSubscription) -> Bool {
        let clear = state.withLock { state in
            !state.stopped && !state.paused && state.lastDue?.isSubset(of: [subscription.name]) == true
        }
        return clear && dispatcher.isAccepting && dispatcher.waiting(subscription.function) == 0 && dispatcher.waitingForHost == 0
    }
}
