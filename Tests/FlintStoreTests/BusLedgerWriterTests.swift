import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Synchronization
import Testing

/// The ledger writer commits an invocation's row with what it settles and publishes on the bus.
@Suite struct BusLedgerWriterTests {
    /// Collects what the writer reports, for assertions after `flushed()`.
    final class Reports: Sendable {
        private let refusals = Mutex<[LedgerWriterRefusal]>([])
        private let errors = Mutex<[String]>([])

        var refused: [LedgerWriterRefusal] { refusals.withLock { $0 } }
        var failed: [String] { errors.withLock { $0 } }

        func writer(for database: FlintDatabase) -> LedgerWriter {
            LedgerWriter(
                ledger: InvocationLedger(database: database),
                onError: { error, lost in self.errors.withLock { $0.append("\(lost): \(error)") } },
                onRefused: { refusal in self.refusals.withLock { $0.append(refusal) } }
            )
        }
    }

    /// Runs `body` with a running writer, then finishes it.
    static func withWriter(_ fixture: BusFixture, _ reports: Reports, _ body: (LedgerWriter) async throws -> Void) async throws {
        let writer = reports.writer(for: fixture.database)
        let running = Task { await writer.run() }
        do {
            try await body(writer)
        } catch {
            writer.finish()
            await running.value
            throw error
        }
        writer.finish()
        await running.value
    }

    static func lease(_ fixture: BusFixture) throws -> Lease {
        try fixture.publish("orders", "work", at: Date())
        return try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60)).first)
    }

    @Test func record_commitsTheRowTheSettlementAndThePublicationTogether() async throws {
        let fixture = try BusFixture()
        let reports = Reports()
        let lease = try Self.lease(fixture)
        let record = InvocationLedgerTests.record(function: "bill")
        try await Self.withWriter(fixture, reports) { writer in
            writer.record(
                record, log: Data("done\n".utf8),
                settlements: [Settlement(lease: lease.token, verdict: .done, invocationID: record.id)],
                publications: [OutgoingMessage(topic: "events", body: #"{"billed":true}"#, depth: 1)]
            )
            await writer.flushed()
        }
        #expect(reports.refused.isEmpty)
        #expect(reports.failed.isEmpty)
        #expect(try await InvocationLedger(database: fixture.database).find(id: record.id)?.function == "bill")
        #expect(try fixture.delivery(lease.token.deliveryID)?.state == .done)
        #expect(try fixture.delivery(lease.token.deliveryID)?.lastInvocationID == record.id)
        let published = try fixture.bus.claim(subscription: "audit", limit: 10, leaseFor: .seconds(60))
        #expect(published.map(\.message.body) == [#"{"billed":true}"#])
        #expect(published.map(\.message.depth) == [1])
    }

    @Test func record_publicationToAnUnknownTopic_isRefused_whileTheRowAndSettlementCommit() async throws {
        let fixture = try BusFixture()
        let reports = Reports()
        let lease = try Self.lease(fixture)
        let record = InvocationLedgerTests.record(function: "bill")
        try await Self.withWriter(fixture, reports) { writer in
            writer.record(
                record, log: Data(),
                settlements: [Settlement(lease: lease.token, verdict: .retry(after: .seconds(30), error: "exit status 1"), invocationID: record.id)],
                publications: [
                    OutgoingMessage(topic: "nope", body: "lost"),
                    OutgoingMessage(topic: "events", body: "not json"),
                    OutgoingMessage(topic: "silent", body: "kept"),
                ]
            )
            await writer.flushed()
        }
        #expect(reports.failed.isEmpty)
        let refused = reports.refused
        #expect(refused.count == 2)
        if refused.count == 2 {
            guard case .publication(let topic, let id, let error) = refused[0] else {
                Issue.record("expected a refused publication, got \(refused[0])")
                return
            }
            #expect(topic == "nope")
            #expect(id == record.id)
            #expect(error == .unknownTopic("nope", known: ["events", "orders", "silent"]))
            guard case .publication(let topic2, _, let error2) = refused[1] else {
                Issue.record("expected a refused publication, got \(refused[1])")
                return
            }
            #expect(topic2 == "events")
            #expect(error2 == .notJSON(topic: "events"))
        }
        #expect(try await InvocationLedger(database: fixture.database).find(id: record.id) != nil)
        let status = try #require(try fixture.delivery(lease.token.deliveryID))
        #expect(status.state == .ready)
        #expect(status.lastError == "exit status 1")
        #expect(try fixture.strings("SELECT body FROM messages WHERE topic != 'orders' ORDER BY id") == ["kept"])
    }

    @Test func record_publicationOverTheBodyLimit_isRefusedAsTooLarge_whileTheRowCommits() async throws {
        // A destination record embeds the event and the output, so it can outgrow the body limit.
        let fixture = try BusFixture()
        let reports = Reports()
        let record = InvocationLedgerTests.record(function: "bill")
        let body = String(repeating: "x", count: Bus.maxBodyBytes + 1)
        try await Self.withWriter(fixture, reports) { writer in
            writer.record(record, log: Data(), publications: [OutgoingMessage(topic: "silent", body: body)])
            await writer.flushed()
        }
        #expect(reports.failed.isEmpty)
        #expect(try await InvocationLedger(database: fixture.database).find(id: record.id) != nil)
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        let refused = reports.refused
        #expect(refused.count == 1)
        if case .publication(let topic, _, let error) = refused.first {
            #expect(topic == "silent")
            #expect(error == .bodyTooLarge(topic: "silent", bytes: Bus.maxBodyBytes + 1, limit: Bus.maxBodyBytes))
        } else {
            Issue.record("expected a refused publication, got \(refused)")
        }
    }

    @Test func record_staleSettlement_isRefused_whileTheRowCommits() async throws {
        let fixture = try BusFixture()
        let reports = Reports()
        let lease = try Self.lease(fixture)
        #expect(try fixture.bus.releaseAllLeases() == 1)
        let record = InvocationLedgerTests.record(function: "bill")
        try await Self.withWriter(fixture, reports) { writer in
            writer.record(record, log: Data(), settlements: [Settlement(lease: lease.token, verdict: .done, invocationID: record.id)])
            await writer.flushed()
        }
        #expect(reports.failed.isEmpty)
        let refused = reports.refused
        #expect(refused.count == 1)
        if case .staleLease(let token) = refused.first {
            #expect(token == lease.token)
        } else {
            Issue.record("expected a stale lease, got \(refused)")
        }
        #expect(try await InvocationLedger(database: fixture.database).find(id: record.id) != nil)
        #expect(try fixture.delivery(lease.token.deliveryID)?.state == .ready)
        #expect(try fixture.delivery(lease.token.deliveryID)?.lastInvocationID == nil)
    }

    @Test func record_manyCompletionsInOneCommit_settleEachTheirOwn() async throws {
        let fixture = try BusFixture()
        let reports = Reports()
        for index in 0 ..< 50 { try fixture.publish("orders", "m\(index)", at: Date()) }
        let leases = try fixture.bus.claim(subscription: "billing", limit: 50, leaseFor: .seconds(60))
        #expect(leases.count == 50)
        try await Self.withWriter(fixture, reports) { writer in
            for (index, lease) in leases.enumerated() {
                let record = InvocationLedgerTests.record(function: "bill")
                let verdict: Settlement.Verdict = index.isMultiple(of: 2) ? .done : .dead(error: "odd")
                writer.record(record, log: Data(), settlements: [Settlement(lease: lease.token, verdict: verdict, invocationID: record.id)])
            }
            await writer.flushed()
        }
        #expect(reports.refused.isEmpty)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing' AND state = 'done'") == 25)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing' AND state = 'dead'") == 25)
        #expect(try fixture.scalar("SELECT count(*) FROM invocations") == 50)
    }
}
