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

@Suite struct LedgerWriterRetryTests {
    @Test func commitBlockedByAnotherProgramsLock_isRetried_notLost() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        let ledger = InvocationLedger(database: try FlintDatabase(path: path, busyTimeout: 0.2))
        let retries = RetryCount()
        let writer = LedgerWriter(
            ledger: ledger, onError: { error, _ in Issue.record("records lost: \(error)") },
            onRetry: { _, _, _ in retries.add() }, retryDelay: .milliseconds(200))
        let running = Task { await writer.run() }

        // Another program holds the write lock for longer than the busy timeout.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        locker.arguments = ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(1.5); c.execute("COMMIT")
            """, path]
        let output = Pipe()
        locker.standardOutput = output
        try locker.run()
        #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("locked"))

        let record = InvocationLedgerTests.record()
        writer.record(record, log: Data("kept".utf8))
        await writer.flushed()
        locker.waitUntilExit()
        #expect(retries.value > 0)
        #expect(try await ledger.find(id: record.id)?.id == record.id)
        #expect(try await ledger.log(id: record.id) == Data("kept".utf8))
        writer.finish()
        await running.value
    }
}

private final class RetryCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
