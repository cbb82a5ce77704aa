import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct InvocationLedgerRetentionTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    static func entry(_ id: String, startedAt seconds: Double, log: String = "") -> InvocationLedger.Entry {
        .init(record: InvocationLedgerTests.record(id: id, startedAt: at(seconds)), log: Data(log.utf8))
    }

    @Test func prune_removesRecordsAndLogsStartedBeforeTheCutoff_keepsTheRest() async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try await ledger.append([
            Self.entry("old-logged", startedAt: 0, log: "old line\n"),
            Self.entry("old-silent", startedAt: 5),
            Self.entry("at-cutoff", startedAt: 20, log: "kept\n"),
            Self.entry("new", startedAt: 30, log: "new line\n"),
        ])

        #expect(try ledger.prune(before: Self.at(20)) == 2)

        #expect(try fixture.strings("SELECT id FROM invocations ORDER BY started_at_us") == ["at-cutoff", "new"])
        #expect(try fixture.strings("SELECT invocation_id FROM invocation_logs ORDER BY invocation_id") == ["at-cutoff", "new"])
        #expect(try await ledger.find(id: "old-logged") == nil)
        #expect(try await ledger.log(id: "new") == Data("new line\n".utf8))
        // Nothing is left before the cutoff: a second pass removes nothing.
        #expect(try ledger.prune(before: Self.at(20)) == 0)
    }

    @Test func prune_keepsTheLastAttemptOfEveryDeadLetter_whateverItsAge() async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try fixture.publish("orders", "doomed", at: Self.at(0))
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(600), now: Self.at(1)).first)
        #expect(try fixture.bus.settle([.dead(lease, by: "last-attempt")], now: Self.at(2)).isEmpty)
        try await ledger.append([
            Self.entry("last-attempt", startedAt: 1, log: "Traceback: the reason it died\n"),
            Self.entry("unrelated", startedAt: 1, log: "gone\n"),
        ])

        #expect(try ledger.prune(before: Self.at(1_000)) == 1)

        #expect(try fixture.strings("SELECT id FROM invocations") == ["last-attempt"])
        #expect(try await ledger.log(id: "last-attempt") == Data("Traceback: the reason it died\n".utf8))
        // Replayed, it is no dead letter any more: its old attempt ages out like any other.
        #expect(try fixture.bus.replay(ids: nil, now: Self.at(3)).count == 1)
        #expect(try ledger.prune(before: Self.at(1_000)) == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM invocations") == 0)
    }

    @Test(arguments: [11, 9]) func prune_worksInChunks_untilNothingOldIsLeft(old: Int) async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try await ledger.append((0 ..< old).map { Self.entry("old-\($0)", startedAt: Double($0), log: "line \($0)\n") })
        try await ledger.append([Self.entry("new", startedAt: 100)])

        // 9 is a whole number of chunks: the last chunk then finds nothing, and the loop ends.
        #expect(try ledger.prune(before: Self.at(50), chunk: 3) == old)

        #expect(try fixture.strings("SELECT id FROM invocations") == ["new"])
        #expect(try fixture.scalar("SELECT count(*) FROM invocation_logs") == 0)
    }

    @Test func prune_stopsBetweenChunks_whenToldTo() async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try await ledger.append((0 ..< 10).map { Self.entry("old-\($0)", startedAt: Double($0)) })
        var chunks = 0
        #expect(try ledger.prune(before: Self.at(50), chunk: 3, while: { chunks += 1; return chunks <= 2 }) == 6)
        #expect(try fixture.scalar("SELECT count(*) FROM invocations") == 4)
    }

    /// A dead letter without an invocation id (NULL: the column allows it, and other programs may
    /// write the file) must not make `NOT IN` match nothing, which would keep every old record.
    @Test func aDeadLetterWithoutAnInvocation_keepsNothingFromBeingPruned() async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try fixture.publish("orders", "doomed", at: Self.at(0))
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(600), now: Self.at(1)).first)
        #expect(try fixture.bus.settle([.dead(lease)], now: Self.at(2)).isEmpty)
        try await fixture.database.write { db in try db.execute(sql: "UPDATE deliveries SET last_invocation_id = NULL WHERE state = 'dead'") }
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE state = 'dead' AND last_invocation_id IS NULL") == 1)
        try await ledger.append([Self.entry("old", startedAt: 1)])

        #expect(try ledger.prune(before: Self.at(1_000)) == 1)
    }

    /// Each pass reads the start-time index up to the cutoff: its cost is what it removes, not
    /// what the ledger holds.
    @Test func prune_readsTheStartTimeIndex_notTheWholeTable() throws {
        let fixture = try BusFixture()
        let plan = try fixture.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + InvocationLedger.pruneSQL, arguments: [0, 1]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("invocations USING") && $0.contains("invocations_by_start (started_at_us<?)") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN invocations") }, "\(plan)")
    }
}
