import FlintCore
import FlintStore
import Foundation
import Testing

@Suite struct LedgerWriterTests {
    @Test func flushed_returnsOnceEverythingRecordedIsCommitted() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let writer = LedgerWriter(ledger: ledger) { error, _ in Issue.record("commit failed: \(error)") }
        let running = Task { await writer.run() }

        let records = (0 ..< 500).map { _ in InvocationLedgerTests.record() }
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask { writer.record(record, log: Data("log of \(record.id)".utf8)) }
            }
        }
        await writer.flushed()
        #expect(try await ledger.recent(limit: 1000).count == 500)
        #expect(try await ledger.log(id: records[42].id) == Data("log of \(records[42].id)".utf8))

        writer.finish()
        await running.value
    }

    @Test func finish_commitsWhatIsLeftBeforeRunReturns() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let writer = LedgerWriter(ledger: ledger) { error, _ in Issue.record("commit failed: \(error)") }
        for _ in 0 ..< 10 { writer.record(InvocationLedgerTests.record(), log: Data()) }
        writer.finish()
        await writer.run()  // started after finish: still commits the ten, then returns
        #expect(try await ledger.recent(limit: 100).count == 10)
    }

    @Test func flushed_withNothingRecordedReturnsAtOnce() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let writer = LedgerWriter(ledger: ledger) { _, _ in }
        await writer.flushed()
    }
}
