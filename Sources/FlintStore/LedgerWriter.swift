public import FlintCore
public import Foundation
internal import GRDB
internal import Synchronization

/// Writes finished invocations to the ledger off the request path, many per transaction, together
/// with what they settle on the bus: an invocation's row, its deliveries' acks or nacks, and the
/// messages it publishes (destinations) commit in the same transaction, so a crash never keeps
/// one without the others.
///
/// `record` only appends to a buffer and, when the buffer was empty, wakes the writer; the writer
/// commits whatever has gathered since its last commit in one transaction, so under load one
/// commit serves many invocations. When nothing waits for the commit (the rows of synchronous
/// invocations: no slot held, nothing settled or published, no `flushed()` caller), the writer
/// first gathers for `gathering` more, so that a steady stream of requests costs one commit per
/// few milliseconds rather than one per request; anything that waits cuts the gathering short.
/// The writer is a thread of its own calling SQLite directly: an async write would cost two more
/// thread hand-offs per commit, on every invocation.
/// `flushed()` waits until everything recorded before the call is committed (for readers that
/// must see their own writes). `run` returns once `finish()` was called and the buffer is empty.
public final class LedgerWriter: Sendable {
    /// One finished invocation and what it settles.
    struct Completion {
        var entry: InvocationLedger.Entry
        var settlements: [Settlement]
        var publications: [OutgoingMessage]
        var nextClaim: NextClaim?
        var committed: (@Sendable (_ claimed: [Lease], _ claimedAt: Date) -> Void)?
    }

    private struct State {
        var pending: [Completion] = []
        /// Entries handed to `record` so far, and how many of them are committed (or failed).
        var recorded: UInt64 = 0
        var settled: UInt64 = 0
        var waiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var finished = false
        /// A pending entry holds a slot, settles deliveries or publishes: commit without gathering.
        var somethingWaits = false
    }

    private let ledger: InvocationLedger
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let onError: @Sendable (any Error, Int) -> Void
    private let onRetry: @Sendable (any Error, Int, Duration) -> Void
    private let onRefused: @Sendable (LedgerWriterRefusal) -> Void
    private let retryDelay: Duration

    /// How long a commit is retried once `finish()` was called: shutdown must not wait for ever
    /// on a database another program keeps locked.
    static let retryingWhenFinishing: Duration = .seconds(30)
    /// How long entries nothing waits for gather before their commit (seconds).
    static let gathering = 0.002
    static let longestRetryDelay: Duration = .seconds(30)

    /// - Parameters:
    ///   - onError: told of a failed commit and how many entries it lost; the writer goes on.
    ///   - onRetry: told of a commit that failed for a reason that passes (the database locked by
    ///     another program for longer than the busy timeout, a full disk, an I/O error), how many
    ///     entries wait, and when it tries again. Those entries are not lost: each retry commits
    ///     them with whatever was recorded since, after 1 s, then doubling up to 30 s.
    ///   - onRefused: told of a settlement refused as stale or a publication refused by the bus;
    ///     the rest of the transaction commits.
    public init(
        ledger: InvocationLedger,
        onError: @escaping @Sendable (any Error, Int) -> Void,
        onRetry: @escaping @Sendable (any Error, Int, Duration) -> Void = { _, _, _ in },
        onRefused: @escaping @Sendable (LedgerWriterRefusal) -> Void = { _ in },
        retryDelay: Duration = .seconds(1)
    ) {
        self.ledger = ledger
        self.onError = onError
        self.onRetry = onRetry
        self.onRefused = onRefused
        self.retryDelay = retryDelay
    }

    /// Queues one finished invocation for the next commit, with the bus deliveries it settles and
    /// the messages it publishes; `committed` is called on the writer's thread after that commit
    /// (or its failure), with what `nextClaim` leased in it (held, as the bus's own claims are;
    /// none if the commit failed) and when (what `Bus.release` needs to give it back). Never blocks.
    public func record(
        _ record: InvocationRecord, log: Data, settlements: [Settlement] = [], publications: [OutgoingMessage] = [],
        nextClaim: NextClaim? = nil, committed: (@Sendable (_ claimed: [Lease], _ claimedAt: Date) -> Void)? = nil
    ) {
        // A claim nobody is told of would stay leased, and held, until the daemon stops.
        let completion = Completion(
            entry: .init(record: record, log: log), settlements: settlements, publications: publications,
            nextClaim: committed == nil ? nil : nextClaim, committed: committed)
        let waitedFor = committed != nil || !settlements.isEmpty || !publications.isEmpty
        let wake = state.withLock { state -> Bool in
            state.pending.append(completion)
            state.recorded += 1
            // The first entry wakes the writer; the first that something waits for ends its gathering.
            var wake = state.pending.count == 1
            if waitedFor, !state.somethingWaits {
                state.somethingWaits = true
                wake = true
            }
            return wake
        }
        if wake { wakeup.signal() }
    }

    /// Returns once everything recorded before this call is committed (or has failed).
    public func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.settled >= state.recorded { return true }
                state.waiters.append((state.recorded, continuation))
                return false
            }
            if ready {
                continuation.resume()
            } else {
                wakeup.signal()  // a reader waits: no gathering
            }
        }
    }

    /// Asks `run` to commit what is left and return.
    public func finish() {
        state.withLock { $0.finished = true }
        wakeup.signal()
    }

    /// Commits batches on a thread of its own until `finish()` (or cancellation), then commits the
    /// remainder and returns.
    public func run() async {
        await DedicatedThread.run(named: "flint-ledger", { [self] in writeUntilFinished() }, stop: { [self] in finish() })
    }

    private func writeUntilFinished() {
        while true {
            wakeup.wait()
            if state.withLock({ !$0.somethingWaits && $0.waiters.isEmpty && !$0.finished }) {
                _ = wakeup.wait(timeout: .now() + Self.gathering)
            }
            commitPending()
            if state.withLock({ $0.finished && $0.pending.isEmpty }) { return }
        }
    }

    private func commitPending() {
        var batch: [Completion] = []
        var delay = retryDelay
        var finishingSince: ContinuousClock.Instant?
        while true {
            batch += state.withLock { state -> [Completion] in
                defer {
                    state.pending.removeAll(keepingCapacity: true)
                    state.somethingWaits = false
                }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            var claimed: [[Lease]] = []
            var claimedAt = Date()
            do {
                let outcome = try commit(batch)
                for refusal in outcome.refusals { onRefused(refusal) }
                (claimed, claimedAt) = (outcome.claimed, outcome.at)
            } catch {
                if state.withLock({ $0.finished }), finishingSince == nil { finishingSince = .now }
                let mayRetry = finishingSince.map { ContinuousClock.now - $0 < Self.retryingWhenFinishing } ?? true
                // Only a failure that may pass is retried: anything else would fail again, and
                // retrying it would hold up every later entry.
                if FlintDatabase.mayPass(error), mayRetry {
                    // What is kept for the retry is bounded: past the limit, the oldest go.
                    if batch.count > Self.mostKept {
                        let dropped = Array(batch.prefix(batch.count - Self.mostKept))
                        batch.removeFirst(dropped.count)
                        onError(error, dropped.count)
                        settle(dropped, claimed: [], at: claimedAt)
                    }
                    onRetry(error, batch.count, delay)
                    // Only a `finish()` that comes during the wait cuts it short. New records wait
                    // for the next attempt (each trying at once would retry, and log, as fast as
                    // they come), and once finishing it still waits between attempts (a failing
                    // disk must not make it spin through its last 30 s).
                    let retryAt = DispatchTime.now() + delay.timeInterval
                    let wasFinished = state.withLock { $0.finished }
                    while wakeup.wait(timeout: retryAt) == .success {
                        if !wasFinished, state.withLock({ $0.finished }) { break }
                    }
                    delay = min(delay * 2, Self.longestRetryDelay)
                    continue
                }
                onError(error, batch.count)
            }
            settle(batch, claimed: claimed, at: claimedAt)
            batch.removeAll(keepingCapacity: true)
            delay = retryDelay
        }
    }

    /// The most entries kept across failed commits; beyond, the oldest are given up (and said so),
    /// so that a long outage (a full disk) does not grow the daemon without bound.
    static let mostKept = 10_000

    /// Tells `completions`' owners and the `flushed()` waiters they are done with. Their leases
    /// are let go: settled now, or, given up on, left for lease expiry. `claimed[i]`: what the
    /// commit leased for `completions[i]`'s `nextClaim` (held from now on), at `claimedAt`; empty
    /// after a failure.
    private func settle(_ completions: [Completion], claimed: [[Lease]], at claimedAt: Date) {
        let database = ledger.database
        database.heldLeases.letGo(completions.lazy.flatMap(\.settlements).map(\.lease))
        database.heldLeases.hold(claimed.lazy.flatMap { $0 }.map(\.token))
        for (index, completion) in completions.enumerated() {
            completion.committed?(index < claimed.count ? claimed[index] : [], claimedAt)
        }
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.settled += UInt64(completions.count)
            let settled = state.settled
            let ready = state.waiters.filter { $0.target <= settled }.map(\.continuation)
            state.waiters.removeAll { $0.target <= settled }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func commit(_ batch: [Completion]) throws -> (refusals: [LedgerWriterRefusal], claimed: [[Lease]], at: Date) {
        let now = Date()
        let database = ledger.database
        return try database.writeTransaction { db in
            try InvocationLedger.insert(batch.map(\.entry), into: db)
            var refusals = try Bus.settle(batch.flatMap(\.settlements), at: now, in: db).map(LedgerWriterRefusal.staleLease)
            for completion in batch {
                for message in completion.publications {
                    // A destination that cannot take the message must not cost the invocations their
                    // rows (a failure that may pass fails the batch, which is retried).
                    let published = try db.inPreparedSavepointOrRefusal { _ = try Bus.insert([message], at: now, in: db) }
                    if case .failure(let error) = published {
                        refusals.append(.publication(topic: message.topic, invocationID: completion.entry.record.id, BusError.from(error, path: database.path)))
                    }
                }
            }
            let claimed = try batch.map { completion in try completion.nextClaim.map { try Bus.claim($0, at: now, in: db).leases } ?? [] }
            // Every slot went on to the next delivery, and nothing here can have made other work
            // due (a retry's delay, a published message): the consumer need not look.
            let nothingNewForTheConsumer = batch.allSatisfy { $0.publications.isEmpty && $0.settlements.allSatisfy(\.verdict.isDone) }
            if nothingNewForTheConsumer, claimed.allSatisfy({ !$0.isEmpty }) {
                database.markCommitQuiet()
            }
            return (refusals, claimed, now)
        }
    }
}

/// Something the ledger writer left out of a commit, and why.
public enum LedgerWriterRefusal: Sendable, CustomStringConvertible {
    /// The delivery was leased again since: this invocation's outcome no longer counts for it.
    case staleLease(LeaseToken)
    case publication(topic: String, invocationID: String, BusError)

    public var description: String {
        switch self {
        case .staleLease(let token):
            "delivery \(token.deliveryID) was leased again (epoch \(token.epoch) is stale); this outcome was not applied"
        case .publication(let topic, let id, let error):
            "invocation \(id) could not publish to topic \(topic): \(error)"
        }
    }
}
