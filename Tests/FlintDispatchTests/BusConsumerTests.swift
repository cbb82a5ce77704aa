import FlintCore
@testable public import FlintDispatch
@testable public import FlintStore
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

// The consumer against the real bus on a temporary SQLite file, with the dispatcher and the
// ledger writer wired as the daemon wires them. Only the executor is a stand-in: it answers in
// process instead of spawning handlers (the runner has its own tests).

/// The bus, as the consumer sees it (as FlintServer declares it too).
extension Bus: DeliverySource {}

/// The ledger writer, as the dispatcher sees it (as FlintServer's `LedgerRecorder`).
struct WriterRecorder: InvocationRecorder {
    let writer: LedgerWriter

    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage], handoff: SlotHandoff?,
        committed: (@Sendable ([Lease], Date) -> Void)?
    ) {
        writer.record(
            result.record, log: result.log, settlements: settlements, publications: publications, nextClaim: handoff?.claim,
            committed: committed)
    }
}

/// A value shared between threads (a `Mutex` cannot be captured by an escaping closure).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value { mutex.withLock { $0 } }

    func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}

/// Signalled once `target` is reached; waited on with a deadline, off the cooperative threads.
final class Milestone: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let remaining: Mutex<Int>

    init(_ target: Int) { remaining = Mutex(target) }

    func advance(by count: Int = 1) {
        let reached = remaining.withLock { remaining -> Bool in
            let before = remaining
            remaining -= count
            return before > 0 && remaining <= 0
        }
        if reached { semaphore.signal() }
    }

    func reached(within seconds: Double) async -> Bool {
        // On a thread of its own: a shared pool may not schedule the wait in time on a loaded machine.
        await withCheckedContinuation { continuation in
            Thread {
                let reached = self.semaphore.wait(timeout: .now() + seconds) == .success
                if reached { self.semaphore.signal() }  // stays reached for later waits
                continuation.resume(returning: reached)
            }.start()
        }
    }
}

/// Stands in for handler processes: reads which messages an SQS event carries, counts how many
/// invocations run at once, and fails the messages `fails` says to.
final class InProcessExecutor: InvocationExecutor {
    private struct State {
        var running = 0
        var peak = 0
        var invocations = 0
        var seen: [String: Int] = [:]
        var batches: [Int] = []
        var starts: [Date] = []
        var topics: [String] = []
        var payloadBytes: [Int] = []
        var receiveCounts: [String] = []
    }

    private let state = Mutex(State())
    let messagesSeen: Milestone
    private let work: Duration
    private let probe: @Sendable () -> Void
    private let fails: @Sendable (String) -> Bool
    private let overlap: Int
    private let overlapReached = Milestone(1)

    /// - Parameter overlap: each invocation waits (up to 10 s) until this many have run at once,
    ///   so that a test of the concurrency limit does not depend on two short ones happening to meet.
    init(
        expecting messages: Int, work: Duration = .zero, overlap: Int = 0, probe: @escaping @Sendable () -> Void = {},
        fails: @escaping @Sendable (String) -> Bool = { _ in false }
    ) {
        messagesSeen = Milestone(messages)
        self.work = work
        self.overlap = overlap
        self.probe = probe
        self.fails = fails
    }

    var peak: Int { state.withLock { $0.peak } }
    var invocations: Int { state.withLock { $0.invocations } }
    /// How many messages each invocation carried, in the order they started.
    var batches: [Int] { state.withLock { $0.batches } }
    /// When each invocation started.
    var starts: [Date] { state.withLock { $0.starts } }
    /// The topic of each invocation's first message (its `eventSourceARN`'s end), in the order they started.
    var topics: [String] { state.withLock { $0.topics } }
    /// How many times each message id was handed to an invocation.
    var seen: [String: Int] { state.withLock { $0.seen } }
    /// The size of each invocation's event, in the order they started.
    var payloadBytes: [Int] { state.withLock { $0.payloadBytes } }
    /// Every record's `ApproximateReceiveCount`.
    var receiveCounts: [String] { state.withLock { $0.receiveCounts } }

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        let ids = Self.messageIDs(request.payload)
        let receiveCounts = Self.records(request.payload).compactMap { ($0["attributes"] as? [String: Any])?["ApproximateReceiveCount"] as? String }
        let topic = (Self.records(request.payload).first?["eventSourceARN"] as? String)?.split(separator: ":").last.map(String.init) ?? ""
        state.withLock { state in
            state.topics.append(topic)
            state.payloadBytes.append(request.payload.count)
            state.receiveCounts += receiveCounts
            state.running += 1
            state.peak = max(state.peak, state.running)
            state.invocations += 1
            for id in ids { state.seen[id, default: 0] += 1 }
            state.batches.append(ids.count)
            state.starts.append(Date())
        }
        probe()
        if overlap > 0 {
            if peak >= overlap { overlapReached.advance() }
            _ = await overlapReached.reached(within: 10)
            overlapReached.advance()  // waited once in vain: the others need not wait too
        }
        if work > .zero { try? await Task.sleep(for: work) }
        let failed = ids.filter(fails)
        state.withLock { $0.running -= 1 }
        messagesSeen.advance(by: ids.count)

        let now = Date()
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source, attempt: request.attempt,
            startedAt: now, endedAt: now, durationMicros: 1, memoryLimitMB: function.memoryMB, peakRSSBytes: 0,
            userCPUMicros: 0, systemCPUMicros: 0, exitCode: 0, signal: nil, coldStart: false, outcome: .ok, errorMessage: nil
        )
        let output = failed.isEmpty ? "" : #"{"batchItemFailures":["# + failed.map { #"{"itemIdentifier":"\#($0)"}"# }.joined(separator: ",") + "]}"
        return InvocationResult(record: record, output: Data(output.utf8), log: Data())
    }

    static func messageIDs(_ payload: Data) -> [String] {
        records(payload).compactMap { $0["messageId"] as? String }
    }

    static func records(_ payload: Data) -> [[String: Any]] {
        guard let event = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
              let records = event["Records"] as? [[String: Any]]
        else { return [] }
        return records
    }
}

/// A temporary directory for one test, removed with it.
final class ConsumerScratchDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("flint-consumer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A bus with topic `jobs` and subscription `jobs-queue` for function `worker`, a dispatcher, the
/// ledger writer and a consumer, wired as the daemon wires them.
final class ConsumerHarness: Sendable {
    /// `jobs` goes to the worker, and so does `others` when a test asks for it; nothing
    /// subscribes to `unheard`.
    static func topology(others: Bool) -> BusTopology {
        BusTopology(
            topics: ["jobs": .text, "unheard": .text, "others": .text],
            subscriptions: [.init(name: "jobs-queue", topic: "jobs", function: "worker")]
                + (others ? [.init(name: "others-queue", topic: "others", function: "worker")] : [])
        )
    }

    let directory: ConsumerScratchDirectory
    let bus: Bus
    let writer: LedgerWriter
    let dispatcher: Dispatcher
    let consumer: BusConsumer
    let monitor: DatabaseChangeMonitor?
    private let refusals = Shared<[String]>([])
    private let writerDone = Milestone(1)

    /// - Parameters:
    ///   - watchCommits: wake the consumer on commits that change the bus, as the daemon does.
    ///   - others: also serve `others-queue` (topic `others`, one message per invocation), first.
    init(
        executor: InProcessExecutor, function: FunctionManifest, batch: Int, window: Duration = .zero, watchCommits: Bool = true,
        others: Bool = false,
        retry: RetryPolicy = RetryPolicy(), dispatcherSettings: Dispatcher.Settings = .init(), fanOutBatch: Int = Bus.fanOutBatch,
        payloadLimit: Int = SQSEvent.payloadLimit, invocationsPerPass: Int = 64, idleSubscriptions: Int = 0,
        source wrap: (Bus) -> any DeliverySource = { $0 }
    ) throws {
        directory = try ConsumerScratchDirectory()
        let database = try FlintDatabase(path: directory.path + "/flint.sqlite")
        bus = Bus(database: database)
        try bus.register(Self.topology(others: others), retireOthers: true)
        let refusals = self.refusals
        writer = LedgerWriter(
            ledger: InvocationLedger(database: database),
            onError: { error, lost in refusals.update { $0.append("commit failed (\(lost) lost): \(error)") } },
            onRefused: { refusal in refusals.update { $0.append("\(refusal)") } }
        )
        let logger = Logger(label: "flint.test") { _ in SwiftLogNoOpLogHandler() }
        dispatcher = Dispatcher(
            functions: [function], executor: executor, recorder: WriterRecorder(writer: writer), settings: dispatcherSettings, logger: logger)
        let jobs = BusSubscription(name: "jobs-queue", function: function.name, trigger: "jobs-queue", source: .queue, shape: .sqs(batch: batch, window: window))
        let otherSubscriptions = others
            ? [BusSubscription(name: "others-queue", function: function.name, trigger: "others-queue", source: .queue, shape: .sqs(batch: 1, window: .zero))]
            : []
        // Subscriptions nothing is ever published for, as every function's for its asynchronous invocations.
        let idle = (0 ..< idleSubscriptions).map {
            BusSubscription(name: "idle-\($0)", function: function.name, trigger: nil, source: .lambda, shape: .event)
        }
        consumer = BusConsumer(
            subscriptions: otherSubscriptions + [jobs] + idle,
            dispatcher: dispatcher, source: wrap(bus),
            settings: .init(retry: retry, identity: .init(region: "us-east-1", account: "000000000000"), fanOutBatch: fanOutBatch,
                invocationsPerPass: invocationsPerPass, payloadLimit: payloadLimit),
            logger: logger
        )
        if watchCommits {
            let consumer = self.consumer
            monitor = try DatabaseChangeMonitor.wakingForBusChanges(of: database) { consumer.wake() }
        } else {
            monitor = nil
        }
    }

    /// What the ledger writer refused or failed to commit.
    var refused: [String] { refusals.value }

    /// Publishes `count` messages `m0`, `m1`... and returns their ids.
    @discardableResult
    func publish(_ count: Int, from start: Int = 0) throws -> [String] {
        try bus.publish((start ..< start + count).map { OutgoingMessage(topic: "jobs", body: "m\($0)") }).map(\.messageID)
    }

    /// Deliveries of `jobs-queue` in `state`, counted by SQL on the database.
    func count(_ state: String) throws -> Int { try Self.count(state, on: bus) }

    static func count(_ state: String, on bus: Bus) throws -> Int {
        try bus.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries WHERE subscription = 'jobs-queue' AND state = ?", arguments: [state]) ?? 0
        }
    }

    /// Runs the writer, the monitor and the consumer; returns what signals the consumer's `run()` returning.
    func start() -> Milestone {
        let writer = self.writer
        let writerDone = self.writerDone
        Task {
            await writer.run()
            writerDone.advance()
        }
        monitor?.start()
        let stopped = Milestone(1)
        let consumer = self.consumer
        Task {
            await consumer.run()
            stopped.advance()
        }
        return stopped
    }

    /// Stops as the daemon does: claiming first, then in-flight invocations, then the writer.
    func shutdown(_ stopped: Milestone) async {
        consumer.stop()
        // run() itself starts on the cooperative pool, which the whole suite shares on 2 cores: in a
        // full parallel run it has been seen to start 7 s late. The bound says it returns, not how fast.
        let ended = await stopped.reached(within: 30)
        #expect(ended, "BusConsumer.run() did not return within 30 s of stop()")
        await dispatcher.drain()
        await writer.flushed()
        monitor?.stop()
        writer.finish()
        #expect(await writerDone.reached(within: 5), "the ledger writer did not return within 5 s of finish()")
    }
}

@Suite struct BusConsumerTests {
    static func worker(concurrency: Int, retries: Int = 2) -> FunctionManifest {
        FunctionManifest(name: "worker", directory: "/tmp", command: ["cat"], concurrency: concurrency, retries: retries)
    }

    @Test func publishedMessages_areEachInvokedExactlyOnce_andSettledDone() async throws {
        let executor = InProcessExecutor(expecting: 300, work: .milliseconds(1))
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 7)
        var ids = try harness.publish(150)
        let stopped = harness.start()
        ids += try harness.publish(150, from: 150)  // while it runs: only a commit tells it

        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 300 messages were invoked")
        await harness.shutdown(stopped)

        let seen = executor.seen
        #expect(Set(seen.keys) == Set(ids))
        #expect(seen.values.allSatisfy { $0 == 1 }, "invoked more than once: \(seen.filter { $0.value > 1 })")
        #expect(try harness.count("done") == 300)
        #expect(try harness.count("leased") == 0)
        #expect(try harness.count("ready") == 0)
        #expect(harness.refused.isEmpty, "\(harness.refused)")
        let rows = try harness.bus.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM invocations") ?? 0 }
        #expect(rows == executor.invocations)
        #expect(executor.peak <= 4)
    }

    /// A backlog of one subscription goes on from slot to slot: the transaction that settles an
    /// invocation claims the next delivery (`SlotHandoff`), so the consumer's own claims are few.
    @Test func aBacklog_goesOnFromSlotToSlot_withoutAClaimOfTheConsumersPerInvocation() async throws {
        let claims = Shared(0)
        let executor = InProcessExecutor(expecting: 40)
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 2), batch: 1, source: { CountingSource(bus: $0, claims: claims) })
        let ids = try harness.publish(40)
        let stopped = harness.start()

        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 40 messages were invoked")
        await harness.shutdown(stopped)

        #expect(Set(executor.seen.keys) == Set(ids))
        #expect(executor.seen.values.allSatisfy { $0 == 1 }, "invoked more than once: \(executor.seen.filter { $0.value > 1 })")
        #expect(try harness.count("done") == 40)
        #expect(try harness.count("leased") == 0)
        #expect(harness.refused.isEmpty, "\(harness.refused)")
        #expect(executor.peak <= 2)
        // Each claim of the consumer's leases at most 2 (the free slots): 20 or more without hand-offs.
        #expect(claims.value < 10, "the consumer claimed \(claims.value) times for 40 invocations")
    }

    /// A pass starts at most `invocationsPerPass` invocations of a subscription; with more slots
    /// free, it looks again at once: no settling commit may come to wake it (a slot handed on
    /// wakes no one).
    @Test func aFunctionWithMoreSlotsThanAPassStarts_getsThemAll() async throws {
        let executor = InProcessExecutor(expecting: 8, overlap: 4)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 1, invocationsPerPass: 2)
        let stopped = harness.start()
        // Once the start's own looks are over: then only the publishing commit wakes the consumer.
        try await Task.sleep(for: .milliseconds(300))
        try harness.publish(8)
        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 8 messages were invoked")
        await harness.shutdown(stopped)
        #expect(executor.peak == 4, "\(executor.peak) of the function's 4 slots were used")
    }

    /// Two backlogs sharing one slot take turns, whatever idle subscriptions sit between them in
    /// the consumer's list (every function has one for its asynchronous invocations).
    @Test func twoBacklogsSharingASlot_takeTurns() async throws {
        let executor = InProcessExecutor(expecting: 60)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1, others: true, idleSubscriptions: 2)
        try harness.publish(30)
        try await harness.bus.publish((0 ..< 30).map { OutgoingMessage(topic: "others", body: "o\($0)") })
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 60 messages were invoked")
        await harness.shutdown(stopped)
        let firstHalf = executor.topics.prefix(30)
        let others = firstHalf.filter { $0 == "others" }.count
        #expect((10 ... 20).contains(others), "\(others) of the first 30 invocations were for others: \(executor.topics)")
    }

    /// While another subscription has work waiting, a freed slot is the consumer's to share out:
    /// a backlog going on from slot to slot must not keep the other waiting until it is drained.
    @Test func slotsGoOnToTheirSubscription_onlyWhileNoOtherOneWaits() async throws {
        let executor = InProcessExecutor(expecting: 40, work: .milliseconds(2))
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1, others: true)
        try harness.publish(30)
        let stopped = harness.start()
        let deadline = Date().addingTimeInterval(10)
        while executor.invocations < 3, Date() < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(executor.invocations >= 3, "the jobs did not start")
        try await harness.bus.publish((0 ..< 10).map { OutgoingMessage(topic: "others", body: "o\($0)") })

        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 40 messages were invoked")
        await harness.shutdown(stopped)
        let topics = executor.topics
        let lastOther = try #require(topics.lastIndex(of: "others"), "\(topics)")
        let lastJob = try #require(topics.lastIndex(of: "jobs"), "\(topics)")
        #expect(lastOther < lastJob, "the others waited for the whole backlog of jobs: \(topics)")
    }

    @Test func batchesOfLargeMessages_stayWithinThePayloadLimit_andWhatDidNotFitIsNotCountedAsAnAttempt() async throws {
        // A 60 KiB payload limit (Lambda's 6 MiB at a hundredth, for speed) and 7 KiB bodies of
        // quotes, which escape to twice that: the claim's byte budget (60 KiB for the one slot)
        // leases 8, the event carries 4, and the other 4 go back unattempted.
        let count = 20
        let executor = InProcessExecutor(expecting: count)
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 1), batch: 50, payloadLimit: 60 * 1024
        )
        let body = String(repeating: "\"", count: 7 * 1024)
        let ids = try await harness.bus.publish((0 ..< count).map { _ in OutgoingMessage(topic: "jobs", body: body) }).map(\.messageID)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 60), "only \(executor.seen.count) of \(count) messages were invoked")
        await harness.shutdown(stopped)

        #expect(Set(executor.seen.keys) == Set(ids))
        #expect(executor.seen.values.allSatisfy { $0 == 1 }, "invoked more than once: \(executor.seen.filter { $0.value > 1 })")
        #expect(executor.batches == [4, 4, 4, 4, 4])
        #expect(executor.payloadBytes.allSatisfy { $0 <= 60 * 1024 }, "\(executor.payloadBytes)")
        #expect(executor.receiveCounts == Array(repeating: "1", count: count))
        #expect(try harness.count("done") == count)
    }

    @Test func backlogOfManyFanOutBatches_isFannedOutPassAfterPass_withoutAnotherCommitToWakeIt() async throws {
        let executor = InProcessExecutor(expecting: 1)
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 2), batch: 1, watchCommits: false, fanOutBatch: 16
        )
        // More messages nobody receives than a claim fans out or `dueSubscriptions` looks
        // through, then one for the worker: it is not due until most of the backlog is fanned
        // out, 16 at a time, and no commit wakes the consumer meanwhile.
        let backlog = Bus.fanOutBatch + 100
        try await harness.bus.publish((0 ..< backlog).map { OutgoingMessage(topic: "unheard", body: "u\($0)") })
        let ids = try harness.publish(1)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 30), "the message after the backlog was not invoked")
        await harness.shutdown(stopped)
        #expect(Set(executor.seen.keys) == Set(ids))
        #expect(try harness.count("done") == 1)
    }

    @Test func consumer_neverRunsMoreThanTheFunctionsConcurrency_norLeasesMoreThanItCanRun() async throws {
        let batch = 10
        let concurrency = 2
        let peakLeased = Shared(0)
        // Filled in once the bus exists: the probe reads the database as each invocation starts.
        let busBox = Shared<Bus?>(nil)
        let probe: @Sendable () -> Void = {
            guard let bus = busBox.value, let leased = try? ConsumerHarness.count("leased", on: bus) else { return }
            peakLeased.update { $0 = max($0, leased) }
        }
        let executor = InProcessExecutor(expecting: 500, work: .milliseconds(2), overlap: concurrency, probe: probe)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: concurrency), batch: batch)
        busBox.update { $0 = harness.bus }
        try harness.publish(500)

        // A second reader samples the leased count continuously, between invocation starts too.
        let sampling = Shared(true)
        let samplerDone = Milestone(1)
        let sampler = Thread {
            while sampling.value {
                if let leased = try? harness.count("leased") { peakLeased.update { $0 = max($0, leased) } }
                usleep(100)  // a sampling interval, not a wait: leaves the CPU to what is measured
            }
            samplerDone.advance()
        }
        sampler.start()

        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 60), "only \(executor.seen.count) of 500 messages were invoked")
        await harness.shutdown(stopped)
        sampling.update { $0 = false }
        #expect(await samplerDone.reached(within: 5))

        #expect(executor.peak == concurrency)
        let leased = peakLeased.value
        #expect(leased <= concurrency * batch, "\(leased) deliveries were leased at once; \(concurrency) invocations of \(batch) can run")
        #expect(leased >= batch)  // the probe did see leases
        #expect(try harness.count("done") == 500)
        #expect(harness.refused.isEmpty, "\(harness.refused)")
    }

    @Test(arguments: [(Runtime.exec, Int64(130_000_000)), (.lambda, 230_000_000)])
    func lease_coversTheLongestTheInvocationMayRun(runtime: Runtime, micros: Int64) async throws {
        // A lambda cold start may spend a timeout on init, then a timeout on the invocation.
        let busBox = Shared<Bus?>(nil)
        let leasedFor = Shared<Int64?>(nil)
        let probe: @Sendable () -> Void = {
            guard let bus = busBox.value else { return }
            let micros = try? bus.database.read { db in
                try Int64.fetchOne(db, sql: "SELECT lease_expires_at_us - first_received_at_us FROM deliveries WHERE state = 'leased'")
            }
            leasedFor.update { $0 = micros ?? nil }
        }
        let executor = InProcessExecutor(expecting: 1, probe: probe)
        var function = Self.worker(concurrency: 1)
        function.runtime = runtime
        function.timeout = .seconds(100)
        let harness = try ConsumerHarness(executor: executor, function: function, batch: 1)
        busBox.update { $0 = harness.bus }
        try harness.publish(1)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10))
        await harness.shutdown(stopped)
        #expect(leasedFor.value == micros)
    }

    @Test func freedSlot_wakesTheConsumer_forWorkStillWaiting() async throws {
        // No WAL monitor: only the consumer's own wake-ups move the work along. The lease (the
        // function's 30 s timeout plus the 30 s margin) is far longer than the deadline here.
        let executor = InProcessExecutor(expecting: 40, work: .milliseconds(1))
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 2), batch: 1, watchCommits: false)
        try harness.publish(40)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10), "only \(executor.seen.count) of 40 messages were invoked within 10 s")
        await harness.shutdown(stopped)
        #expect(executor.seen.values.allSatisfy { $0 == 1 })
    }

    @Test func hostConcurrencyBelowTheFunctions_capsWhatRuns_andFreedSlotsWakeTheConsumer() async throws {
        // No WAL monitor: only slots given back move the work along, and the host cap (2) is
        // what runs out, not the function's own concurrency (4).
        let executor = InProcessExecutor(expecting: 60, work: .milliseconds(1))
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 4), batch: 1, watchCommits: false,
            dispatcherSettings: .init(hostConcurrency: 2))
        try harness.publish(60)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 20), "only \(executor.seen.count) of 60 messages were invoked within 20 s")
        await harness.shutdown(stopped)
        #expect(executor.peak <= 2)
        #expect(executor.seen.values.allSatisfy { $0 == 1 })
    }

    @Test func batchingWindow_waitsForAFullerBatch_thenSendsWhatThereIs() async throws {
        let executor = InProcessExecutor(expecting: 3)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 10, window: .milliseconds(300))
        let publishedAt = Date()
        try harness.publish(3)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10))
        await harness.shutdown(stopped)
        #expect(executor.batches == [3])  // one invocation with all three, not three of one
        if let start = executor.starts.first {
            #expect(start.timeIntervalSince(publishedAt) >= 0.3, "started \(start.timeIntervalSince(publishedAt)) s after publishing")
        }
    }

    /// A windowed subscription whose messages another subscription's claim fans out (quietly:
    /// a claim's commit wakes no one) still gets its window's deadline, rather than waiting for
    /// the next commit, here the other invocation's end 3 s later.
    @Test func batchingWindow_endsOnTime_whenAnotherSubscriptionsClaimFansOutItsMessages() async throws {
        let executor = InProcessExecutor(expecting: 2, work: .seconds(3))
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 4), batch: 5, window: .milliseconds(50), others: true)
        let stopped = harness.start()
        // Idle first, so the commit below is all that wakes the consumer. One commit for both, as
        // a program publishing to two topics at once makes it. The pass it wakes serves
        // jobs-queue first (passes with work take turns, starting with the second subscription).
        try await Task.sleep(for: .milliseconds(300))
        let publishedAt = Date()
        try await harness.bus.publish([OutgoingMessage(topic: "others", body: "o"), OutgoingMessage(topic: "jobs", body: "j")])
        let deadline = Date().addingTimeInterval(10)
        while executor.starts.count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let starts = executor.starts.map { $0.timeIntervalSince(publishedAt) }
        #expect(starts.count == 2 && starts.allSatisfy { $0 < 2 }, "started \(starts) s after publishing")
        #expect(await executor.messagesSeen.reached(within: 10))
        await harness.shutdown(stopped)
    }

    @Test func batchingWindow_startsFullBatchesAtOnce() async throws {
        let executor = InProcessExecutor(expecting: 20)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 10, window: .seconds(3_600))
        try harness.publish(20)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10), "full batches waited for the window")
        await harness.shutdown(stopped)
        #expect(executor.batches == [10, 10])
    }

    @Test func batchingWindow_endsOnceItsMessagesFillAnEvent() async throws {
        // A 60 KiB payload limit and 14 KiB bodies: 4 fill an event, far short of `batch: 10`.
        let executor = InProcessExecutor(expecting: 8)
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 4), batch: 10, window: .seconds(3_600), payloadLimit: 60 * 1024
        )
        let body = String(repeating: "x", count: 14 * 1024)
        try await harness.bus.publish((0 ..< 8).map { _ in OutgoingMessage(topic: "jobs", body: body) })
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10), "a window whose messages fill an event waited for more")
        await harness.shutdown(stopped)
        #expect(executor.batches == [4, 4])
    }

    @Test func failingMessage_isRetriedAfterItsBackoff_thenDead() async throws {
        let executor = InProcessExecutor(expecting: 3, fails: { _ in true })
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 1, retries: 2), batch: 1,
            retry: RetryPolicy(base: .milliseconds(20), max: .milliseconds(100))
        )
        let ids = try harness.publish(1)
        let stopped = harness.start()
        // Three attempts: the first, and two retries each after its delay (the consumer's timer wakes it).
        #expect(await executor.messagesSeen.reached(within: 10), "\(executor.seen)")
        await harness.shutdown(stopped)
        #expect(executor.seen[ids[0]] == 3)
        let dead = try harness.bus.deadLetters()
        #expect(dead.map(\.messageID) == ids)
        #expect(dead.map(\.attempts) == [3])
        #expect(dead.first?.lastError?.hasPrefix("reported in batchItemFailures by invocation ") == true)
    }

    /// A claim that fails (a full disk, say) is tried again by the consumer itself: space coming
    /// back commits nothing that would wake it.
    @Test func failedClaim_isTriedAgain_withoutACommitToWakeTheConsumer() async throws {
        let executor = InProcessExecutor(expecting: 1)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1)
        try await harness.failDeliveryUpdates()
        try harness.publish(1)
        let stopped = harness.start()
        #expect(await !executor.messagesSeen.reached(within: 0.5), "the claim did not fail")
        try await harness.endDeliveryUpdateFailures()  // wakes nobody

        #expect(await executor.messagesSeen.reached(within: 10), "the message was not claimed again after the fault ended")
        await harness.shutdown(stopped)
        #expect(try harness.count("done") == 1)
    }

    /// A lease that cannot be expired (the same fault: its UPDATE fails) stays past its time; the
    /// consumer must wait out the backoff, not try again every half millisecond.
    @Test func failingLeaseExpiry_isTriedAgainWithTheBackoff_notInATightLoop() async throws {
        let counting = Shared(0)
        let executor = InProcessExecutor(expecting: 1)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1) { bus in
            CountingSource(bus: bus, expiries: counting)
        }
        try harness.publish(1)
        // A lease this consumer's process does not hold (its holder gave it up): only such expire.
        let elsewhere = Bus(database: try FlintDatabase(path: harness.directory.path + "/flint.sqlite"))
        _ = try elsewhere.claim(subscription: "jobs-queue", limit: 1, leaseFor: .milliseconds(1))
        try await harness.failDeliveryUpdates()
        let stopped = harness.start()
        try await Task.sleep(for: .seconds(1.2))
        // 0 s, 1 s: two tries; spinning would have made hundreds.
        #expect(counting.value <= 4, "\(counting.value) attempts to expire the lease in 1.2 s")
        try await harness.endDeliveryUpdateFailures()
        #expect(await executor.messagesSeen.reached(within: 10), "the expired lease was not delivered again once the fault ended")
        await harness.shutdown(stopped)
    }

    @Test func retryDelay_growsWithHowLongTheBusHasFailed_fromOneSecondToThirty() {
        let delays = [0, 0.4, 1, 2.5, 8, 29.2, 600].map { BusConsumer.retryDelay(failingFor: $0) }
        #expect(delays == [1, 1, 1, 3, 8, 30, 30].map { Duration.seconds($0) })
    }

    @Test func stop_endsRun_withNothingToDo() async throws {
        let executor = InProcessExecutor(expecting: 0)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1)
        let stopped = harness.start()
        await harness.shutdown(stopped)
        #expect(await stopped.reached(within: 0.1))
        #expect(executor.invocations == 0)
    }

    @Test func stop_endsRun_whileWorkIsWaiting_andLeavesTheRestReady() async throws {
        let executor = InProcessExecutor(expecting: 1, work: .milliseconds(20))
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 1), batch: 1)
        try harness.publish(50)
        let stopped = harness.start()
        #expect(await executor.messagesSeen.reached(within: 10))
        await harness.shutdown(stopped)
        let invoked = executor.seen.count
        #expect(invoked < 50)
        #expect(try harness.count("done") == invoked)
        #expect(try harness.count("leased") == 0)
        #expect(try harness.count("ready") == 50 - invoked)
    }
}

/// The real bus, counting the consumer's attempts to expire leases.
/// The bus, counting the consumer's lease expiries and claims.
struct CountingSource: DeliverySource {
    let bus: Bus
    var expiries = Shared(0)
    var claims = Shared(0)

    func fanOut(limit: Int) throws -> Int { try bus.fanOut(limit: limit) }
    func claim(
        subscription: String, limit: Int, byteBudget: Int, overheadPerMessage: Int, leaseFor: Duration, function: String?, now: Date
    ) throws -> (leases: [Lease], cutShort: Bool) {
        claims.update { $0 += 1 }
        return try bus.claim(
            subscription: subscription, limit: limit, byteBudget: byteBudget, overheadPerMessage: overheadPerMessage, leaseFor: leaseFor,
            function: function, now: now)
    }
    func release(_ tokens: [LeaseToken], claimedAt: Date) throws { try bus.release(tokens, claimedAt: claimedAt) }
    func dueSubscriptions(among subscriptions: [String], now: Date) throws -> Set<String> {
        try bus.dueSubscriptions(among: subscriptions, now: now)
    }
    func due(subscription: String, limit: Int, now: Date) throws -> (count: Int, oldestDueAt: Date?) {
        try bus.due(subscription: subscription, limit: limit, now: now)
    }
    func dueBytesReach(_ threshold: Int, subscription: String, limit: Int, overheadPerMessage: Int, now: Date) throws -> Bool {
        try bus.dueBytesReach(threshold, subscription: subscription, limit: limit, overheadPerMessage: overheadPerMessage, now: now)
    }
    func nextDeadline(subscriptions: [String], now: Date) throws -> Date? { try bus.nextDeadline(subscriptions: subscriptions, now: now) }
    func expireLeases(now: Date) throws -> Int {
        expiries.update { $0 += 1 }
        return try bus.expireLeases(now: now)
    }
}

extension ConsumerHarness {
    /// From now on every change of a delivery's state fails with a real SQLite error (as a full
    /// disk would make it fail), raised by a trigger while a flag row exists; claims and lease
    /// expiries among them.
    func failDeliveryUpdates() async throws {
        try await bus.database.pool.write { db in
            try db.execute(sql: """
                CREATE TABLE claim_fault (id INTEGER);
                INSERT INTO claim_fault VALUES (1);
                CREATE TRIGGER claim_fails BEFORE UPDATE OF state ON deliveries WHEN EXISTS (SELECT 1 FROM claim_fault)
                BEGIN SELECT RAISE(ABORT, 'database or disk is full (a fault of the test)'); END;
                """)
        }
    }

    /// Ends those failures. On the consumer's own connection and outside the bus's tables, so
    /// the commit wakes nobody.
    func endDeliveryUpdateFailures() async throws {
        try await bus.database.pool.write { db in try db.execute(sql: "DELETE FROM claim_fault") }
    }
}
