import FlintCore
@testable import FlintDispatch
@testable import FlintServer
@testable import FlintStore
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

/// The bucket watcher's sink as the daemon wires it: the object index and the bus on a temporary
/// SQLite file, the dispatcher and the ledger writer, and a consumer that the sink starts events
/// through (`BucketEventStarter`). Only the executor stands in for handler processes.
@Suite struct ObjectEventSinkTests {
    /// Counts the invocations it is asked to run, and answers each at once.
    final class CountingExecutor: InvocationExecutor {
        private let count = Mutex(0)
        var invocations: Int { count.withLock { $0 } }

        func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
            count.withLock { $0 += 1 }
            let now = Date()
            return InvocationResult(
                record: InvocationRecord(
                    id: request.id, function: function.name, trigger: request.trigger, source: request.source, attempt: request.attempt,
                    startedAt: now, endedAt: now, durationMicros: 1, memoryLimitMB: function.memoryMB, peakRSSBytes: 0, userCPUMicros: 0,
                    systemCPUMicros: 0, exitCode: 0, signal: nil, coldStart: false, outcome: .ok, errorMessage: nil),
                output: Data(), log: Data())
        }
    }

    final class Daemonlike: Sendable {
        let directory: String
        let bus: Bus
        let writer: LedgerWriter
        let dispatcher: Dispatcher
        let consumer: BusConsumer
        let starter = BucketEventStarter()
        let executor = CountingExecutor()

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-sink-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let database = try FlintDatabase(path: directory + "/flint.sqlite")
            bus = Bus(database: database)
            let topic = BusTopology.bucketTopic("thumbs")
            let topology = BusTopology(
                topics: [topic: .json],
                subscriptions: [.init(name: topic, topic: topic, function: "thumb", origin: .bucket(trigger: "thumbs"))])
            try bus.register(topology, retireOthers: true)
            writer = LedgerWriter(ledger: InvocationLedger(database: database)) { error, _ in Issue.record("commit failed: \(error)") }
            let logger = Logger(label: "flint.test") { _ in SwiftLogNoOpLogHandler() }
            dispatcher = Dispatcher(
                functions: [FunctionManifest(name: "thumb", directory: "/tmp", command: ["cat"], concurrency: 2)], executor: executor,
                recorder: LedgerRecorder(writer: writer), settings: .init(), logger: logger)
            consumer = BusConsumer(
                subscriptions: BusSubscriptions.of(topology), dispatcher: dispatcher, source: bus,
                settings: .init(retry: RetryPolicy(), identity: .init(region: "local", account: "000000000000"), fanOutBatch: Bus.fanOutBatch),
                logger: logger)
            starter.attach(consumer)
            // The daemon's own commits wake the consumer (other processes' are not in play here).
            database.onBusCommit { [consumer] in consumer.wake() }
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func sink(triggers: [String]) -> ObjectEventSink {
            ObjectEventSink(
                index: ObjectIndex(database: bus.database),
                triggers: triggers.map { ObjectEventSink.Trigger(name: $0, bucket: BucketTrigger(bucket: "uploads", events: [.created, .removed], prefix: "", suffix: "")) },
                root: directory + "/buckets", identity: LambdaIdentity(), causation: OutputCausation(), metrics: DaemonMetrics(),
                starter: starter)
        }

        static func put(_ key: String, inode: UInt64) -> ObjectChange {
            ObjectChange(bucket: "uploads", key: key, kind: .put(ObjectVersion(size: 1, modifiedAtNanos: 1, inode: inode, eTag: "e")))
        }

        func freeSlots() -> Int {
            let free = dispatcher.tryAcquireSlots("thumb", upTo: 100)
            dispatcher.releaseSlots("thumb", count: free)
            return free
        }

        func states() throws -> [String] {
            try bus.database.read { db in try String.fetchAll(db, sql: "SELECT state FROM deliveries ORDER BY id") }
        }

        /// Runs the writer and the consumer until `body` returns, then stops them as the daemon does.
        func running(_ body: () async throws -> Void) async throws {
            let writer = self.writer
            let consumer = self.consumer
            let writing = Task { await writer.run() }
            let claiming = Task { await consumer.run() }
            // The consumer's first pass: until then, no slot goes to a publisher.
            let subscription = try #require(consumer.subscriptions.first)
            let deadline = Date().addingTimeInterval(10)
            while !consumer.mayHandOff(to: subscription), Date() < deadline { try await Task.sleep(for: .milliseconds(2)) }
            try await body()
            consumer.stop()
            await claiming.value
            await dispatcher.drain()
            await writer.flushed()
            writer.finish()
            await writing.value
        }

        func waitUntil(_ condition: () throws -> Bool) async throws {
            let deadline = Date().addingTimeInterval(10)
            while try !condition(), Date() < deadline { try await Task.sleep(for: .milliseconds(2)) }
        }
    }

    @Test func anEvent_startsThroughTheConsumerItWasAttachedTo_inTheSlotItsTransactionTook() async throws {
        let daemon = try Daemonlike()
        try await daemon.running {
            try daemon.sink(triggers: ["thumbs"]).record([Daemonlike.put("a.png", inode: 1), Daemonlike.put("b.png", inode: 2)])
            try await daemon.waitUntil { try daemon.states() == ["done", "done"] }
            #expect(try daemon.states() == ["done", "done"])
            #expect(daemon.executor.invocations == 2)
            // Claimed in the transaction that published them (at its time), not by a pass after it.
            let claimedAtPublishing = try daemon.bus.database.read { db in
                try Bool.fetchAll(db, sql: "SELECT d.first_received_at_us = m.published_at_us FROM deliveries d JOIN messages m ON m.id = d.message")
            }
            #expect(claimedAtPublishing == [true, true])
            try await daemon.waitUntil { daemon.freeSlots() == 2 }
            #expect(daemon.freeSlots() == 2, "a slot the transaction took was not given back")
        }
    }

    @Test func aFailedTransaction_startsNothing_andHoldsNoSlot() async throws {
        let daemon = try Daemonlike()
        try await daemon.running {
            // A trigger whose topic the bus does not have: publishing refuses the whole batch.
            #expect(throws: BusError.self) {
                try daemon.sink(triggers: ["thumbs", "ghost"]).record([Daemonlike.put("a.png", inode: 1)])
            }
            let states = try daemon.states()
            #expect(states.isEmpty, "no delivery of a batch that was not stored")
            #expect(daemon.executor.invocations == 0)
            #expect(daemon.freeSlots() == 2)
        }
    }
}
