import FlintCore
@testable import FlintStore
import Foundation
import Synchronization
import Testing

/// What wakes the daemon's bus consumer: its own commits that change the bus, as they commit, and
/// other connections' commits, through the WAL; never its own ledger rows.
@Suite struct BusCommitWakeTests {
    final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func increment() { count.withLock { $0 += 1 } }
    }

    static func ledgerRow(_ database: FlintDatabase) async throws {
        try await InvocationLedger(database: database).append([
            .init(record: InvocationLedgerTests.record(function: "bill"), log: Data("done\n".utf8))
        ])
    }

    @Test func onBusCommit_hearsPublishingAndSettling_notClaimsNorLedgerRows() async throws {
        let fixture = try BusFixture()
        let commits = Counter()
        fixture.database.onBusCommit { commits.increment() }

        try fixture.publish("orders", "work", at: Date())
        #expect(commits.value == 1, "publishing was not heard")

        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60)).first)
        #expect(commits.value == 1, "the consumer's own claim woke it")

        try await Self.ledgerRow(fixture.database)
        #expect(commits.value == 1, "a ledger row without bus changes woke the consumer")

        _ = try fixture.bus.settle([Settlement(lease: lease.token, verdict: .done, invocationID: "i-1")])
        #expect(commits.value == 2, "settling was not heard")

        try fixture.publish("silent", "nobody subscribes", at: Date())
        #expect(commits.value == 3, "a message without subscribers was not heard")
    }

    /// The ledger writer's commit that settles an invocation and claims the next delivery for its
    /// slot (`LedgerWriter.NextClaim`) wakes no one: the slot goes on by itself. One that claims
    /// nothing gives the slot back, and the consumer must look. The claim takes only deliveries
    /// already written: fanning out (which may make other subscriptions due) is the consumer's.
    @Test func aSettlingCommitThatHandsItsSlotOn_isQuiet_andOneThatFindsNothingIsNot() async throws {
        let fixture = try BusFixture()
        let commits = Counter()
        fixture.database.onBusCommit { commits.increment() }
        try fixture.publish("orders", "a", at: Date())
        try fixture.publish("orders", "b", at: Date())
        let first = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60)).first)
        let writer = LedgerWriter(ledger: InvocationLedger(database: fixture.database)) { error, _ in Issue.record("commit failed: \(error)") }
        let running = Task { await writer.run() }
        let nextClaim = NextClaim(subscription: "billing", function: "bill", leaseFor: .seconds(60), wanted: { true })
        func settle(_ lease: Lease) async -> [Lease] {
            await withCheckedContinuation { continuation in
                writer.record(
                    InvocationLedgerTests.record(function: "bill"), log: Data(),
                    settlements: [Settlement(lease: lease.token, verdict: .done, invocationID: "i-\(lease.token.deliveryID)")],
                    nextClaim: nextClaim
                ) { claimed, _ in continuation.resume(returning: claimed) }
            }
        }
        let wakesBefore = commits.value

        let claimed = await settle(first)
        #expect(claimed.map(\.message.body) == ["b"], "the next delivery was not claimed in the settling commit")
        #expect(commits.value == wakesBefore, "the commit whose slot went on woke the consumer")
        let second = try #require(claimed.first)
        _ = try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: "c")])  // not fanned out
        let wakesAfterPublishing = commits.value
        #expect(await settle(second).isEmpty, "the hand-off claim fanned out the message published meanwhile")
        #expect(commits.value == wakesAfterPublishing + 1, "the commit that gave its slot back did not wake the consumer")
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing' AND state = 'done'") == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing'") == 2)

        writer.finish()
        await running.value
    }

    @Test func hasCommitsFromOtherConnections_seesOthersCommits_notItsOwn() async throws {
        let fixture = try BusFixture()
        #expect(fixture.database.hasCommitsFromOtherConnections(), "the first call must answer true (nothing known yet)")
        #expect(!fixture.database.hasCommitsFromOtherConnections(), "nothing was committed since the last call")

        try fixture.publish("orders", "own", at: Date())
        try await Self.ledgerRow(fixture.database)
        #expect(!fixture.database.hasCommitsFromOtherConnections(), "its own commits counted as another connection's")

        let other = Bus(database: try FlintDatabase(path: fixture.path))
        try await other.publish([OutgoingMessage(topic: "orders", body: "from another connection")])
        #expect(fixture.database.hasCommitsFromOtherConnections(), "another connection's commit was missed")
        #expect(!fixture.database.hasCommitsFromOtherConnections())

        let shell = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'from the shell');")
        #expect(shell.status == 0, "sqlite3 failed: \(shell.error)")
        #expect(fixture.database.hasCommitsFromOtherConnections(), "another process's commit was missed")
    }

    @Test func wakingForBusChanges_wakesForOtherProcessesAndOwnBusCommits_notForLedgerRows() async throws {
        let fixture = try BusFixture()
        let calls = DatabaseChangeMonitorTests.Calls()
        let monitor = try DatabaseChangeMonitor.wakingForBusChanges(of: fixture.database) { calls.record() }
        monitor.start()
        defer { monitor.stop() }
        #expect(await calls.settle(), "the monitor kept calling with nothing changing")

        try await Self.ledgerRow(fixture.database)
        #expect(!(await calls.next(within: 0.5)), "a ledger row woke the consumer")

        try fixture.publish("orders", "own", at: Date())
        #expect(calls.total == 1, "the daemon's own publishing did not wake the consumer as it committed")
        #expect(await calls.settle())

        let shell = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'from the shell');")
        #expect(shell.status == 0, "sqlite3 failed: \(shell.error)")
        #expect(await calls.next(within: 1), "no wake within 1 s of a commit by another process")
    }
}
