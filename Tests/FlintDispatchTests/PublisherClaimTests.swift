import FlintCore
@testable import FlintDispatch
@testable import FlintStore
import Foundation
import GRDB
import Testing

extension ConsumerHarness {
    /// Records `count` bucket changes whose events go to `jobs` (`m-k0`, `m-k1`...), claiming
    /// `claims` in the same transaction, as the daemon's bucket watcher does.
    func publishClaiming(_ count: Int, _ claims: [PublisherClaim], now: Date = Date()) throws -> [[Lease]] {
        let changes = (0 ..< count).map { n in
            ObjectChange(bucket: "uploads", key: "k\(n)", kind: .put(ObjectVersion(size: 1, modifiedAtNanos: 1, inode: UInt64(n + 1), eTag: "e")))
        }
        return try ObjectIndex(database: bus.database).record(changes, now: now, claiming: claims.map(\.claim)) { recorded in
            [OutgoingMessage(topic: "jobs", body: "m-\(recorded.change.key)")]
        }.claimed
    }

    /// Waits (up to 10 s) for the consumer's first pass: until then, it cannot know whether other
    /// subscriptions have work waiting, and no slot goes to a publisher.
    func firstPass() async throws {
        let jobs = try #require(consumer.subscriptions.first { $0.name == "jobs-queue" })
        let deadline = Date().addingTimeInterval(10)
        while !consumer.mayHandOff(to: jobs), Date() < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(consumer.mayHandOff(to: jobs), "the consumer made no pass within 10 s")
    }

    /// How many of the worker's slots are free (taken and given back at once).
    func freeSlots() -> Int {
        let free = dispatcher.tryAcquireSlots("worker", upTo: 100)
        dispatcher.releaseSlots("worker", count: free)
        return free
    }
}

/// A publisher (the bucket watcher) starts its trigger's events in slots taken before its
/// transaction, which claims them: no pass of the consumer between an event and its handler.
@Suite struct PublisherClaimTests {
    static func worker(concurrency: Int) -> FunctionManifest { BusConsumerTests.worker(concurrency: concurrency) }

    @Test func events_startInTheSlotsTheirTransactionClaimed_withoutAClaimOfTheConsumers() async throws {
        let claims = Shared(0)
        let executor = InProcessExecutor(expecting: 3)
        let harness = try ConsumerHarness(
            executor: executor, function: Self.worker(concurrency: 4), batch: 1, source: { CountingSource(bus: $0, claims: claims) })
        #expect(harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 3]).isEmpty, "claimed before the consumer's first pass")
        let stopped = harness.start()
        try await harness.firstPass()
        try await Task.sleep(for: .milliseconds(100))  // the start's own passes are over
        let before = claims.value

        let taken = harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 3])
        #expect(taken.map(\.claim.limit) == [3])
        #expect(harness.freeSlots() == 4, "a slot was taken before the transaction")
        let now = Date()
        let claimed = try harness.publishClaiming(3, taken, now: now)
        #expect(claimed.map(\.count) == [3])
        harness.consumer.start(taken, claimed: claimed, at: now)

        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 3 events were invoked")
        // Every slot comes back once the settlements are committed.
        await harness.writer.flushed()
        let deadline = Date().addingTimeInterval(10)
        while harness.freeSlots() < 4, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(harness.freeSlots() == 4)
        await harness.shutdown(stopped)
        #expect(executor.seen.count == 3 && executor.seen.values.allSatisfy { $0 == 1 }, "\(executor.seen)")
        #expect(try harness.count("done") == 3)
        #expect(harness.refused.isEmpty, "\(harness.refused)")
        #expect(claims.value == before, "the consumer claimed \(claims.value - before) times for events already claimed")
    }

    @Test func moreEventsThanFreeSlots_theRestWaitForASlot_andEachRunsOnce() async throws {
        let executor = InProcessExecutor(expecting: 6, overlap: 4)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 1)
        let stopped = harness.start()
        try await harness.firstPass()

        let taken = harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 6])
        #expect(taken.map(\.claim.limit) == [6])
        let now = Date()
        let claimed = try harness.publishClaiming(6, taken, now: now)
        #expect(claimed.map(\.count) == [4], "as many as the function had slots")
        harness.consumer.start(taken, claimed: claimed, at: now)

        #expect(await executor.messagesSeen.reached(within: 30), "only \(executor.seen.count) of 6 events were invoked")
        await harness.shutdown(stopped)
        #expect(executor.seen.count == 6 && executor.seen.values.allSatisfy { $0 == 1 }, "\(executor.seen)")
        #expect(executor.peak == 4)
        #expect(try harness.count("done") == 6)
    }

    @Test func noClaimIsMade_forABatchingTrigger_anUnknownOne_orAPausedConsumer() async throws {
        let batching = try ConsumerHarness(executor: InProcessExecutor(expecting: 0), function: Self.worker(concurrency: 4), batch: 2)
        let batchingStopped = batching.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(batching.consumer.publisherClaims(forTriggers: ["jobs-queue": 2]).isEmpty, "a batch is the pass's to gather")
        await batching.shutdown(batchingStopped)

        let harness = try ConsumerHarness(executor: InProcessExecutor(expecting: 0), function: Self.worker(concurrency: 4), batch: 1)
        let stopped = harness.start()
        try await harness.firstPass()
        #expect(harness.consumer.publisherClaims(forTriggers: ["elsewhere": 2]).isEmpty)
        #expect(harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 0]).isEmpty)
        harness.consumer.pause()
        #expect(harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 2]).isEmpty, "a stopping daemon starts nothing more")
        await harness.shutdown(stopped)
    }

    @Test func aFailedTransaction_givesTheSlotsItTookBack() async throws {
        let harness = try ConsumerHarness(executor: InProcessExecutor(expecting: 0), function: Self.worker(concurrency: 4), batch: 1)
        let stopped = harness.start()
        try await harness.firstPass()
        let taken = harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 3])
        #expect(taken.first?.claim.takeSlots(3) == 3, "as the transaction does before its claim")
        #expect(harness.freeSlots() == 1)
        harness.consumer.abandon(taken)
        #expect(harness.freeSlots() == 4)
        await harness.shutdown(stopped)
    }

    /// The daemon began to stop between the claim and its start: the leases go back, their
    /// attempt not counted, and so do the slots.
    @Test func whatCanNoLongerStart_goesBack_uncounted() async throws {
        let executor = InProcessExecutor(expecting: 0)
        let harness = try ConsumerHarness(executor: executor, function: Self.worker(concurrency: 4), batch: 1)
        let stopped = harness.start()
        try await harness.firstPass()
        let taken = harness.consumer.publisherClaims(forTriggers: ["jobs-queue": 2])
        let now = Date()
        let claimed = try harness.publishClaiming(2, taken, now: now)
        #expect(claimed.map(\.count) == [2])
        harness.consumer.pause()
        harness.consumer.start(taken, claimed: claimed, at: now)

        #expect(executor.invocations == 0)
        #expect(try harness.count("ready") == 2)
        let attempts = try harness.bus.database.read { db in try Int.fetchAll(db, sql: "SELECT attempt FROM deliveries") }
        #expect(attempts == [0, 0])
        #expect(harness.freeSlots() == 4)
        await harness.shutdown(stopped)
    }
}
