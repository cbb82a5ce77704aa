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
        let fixture = try await RetryingWriter(busyTimeout: 0.2, retryDelay: .milliseconds(200))
        let (ledger, writer, retries) = (fixture.ledger, fixture.writer, fixture.retries)
        // Another program holds the write lock, for longer than the busy timeout, until told to let go.
        let locker = try WriteLockHolder(fixture.path)

        let record = InvocationLedgerTests.record()
        writer.record(record, log: Data("kept".utf8))
        let deadline = Date().addingTimeInterval(30)
        while retries.value == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(retries.value > 0)
        locker.release()
        await writer.flushed()
        #expect(try await ledger.find(id: record.id)?.id == record.id)
        #expect(try await ledger.log(id: record.id) == Data("kept".utf8))
        await fixture.finish()
    }
}

@Suite struct LedgerWriterBackoffTests {
    /// While commits fail, new records wait for the next attempt: each trying (and logging) at
    /// once would turn the backoff into an attempt per record.
    @Test func recordsArrivingWhileCommitsFail_doNotCutTheBackoffShort_andAreAllKept() async throws {
        let fixture = try await RetryingWriter(busyTimeout: 0.01, retryDelay: .milliseconds(300))
        let (ledger, writer, retries) = (fixture.ledger, fixture.writer, fixture.retries)
        let locker = try WriteLockHolder(fixture.path)

        var ids: [String] = []
        for _ in 0 ..< 20 {
            let record = InvocationLedgerTests.record()
            ids.append(record.id)
            writer.record(record, log: Data())
            try await Task.sleep(for: .milliseconds(10))
        }
        // One attempt per record would be 20. With the backoff (0.3 s, doubling), even a machine
        // slow enough to stretch these 0.2 s to 20 s makes no more than 8.
        #expect(retries.value <= 8, "\(retries.value) attempts for 20 records")
        locker.release()
        await writer.flushed()
        for id in ids { #expect(try await ledger.find(id: id)?.id == id) }
        await fixture.finish()
    }
}

@Suite struct LedgerWriterFinishingTests {
    /// A stopping daemon keeps trying for a while; it still waits between attempts.
    @Test func commitsFailingAfterFinish_areRetriedWithTheBackoff_notInATightLoop() async throws {
        let fixture = try await RetryingWriter(busyTimeout: 0.01, retryDelay: .milliseconds(300))
        let (ledger, writer, retries) = (fixture.ledger, fixture.writer, fixture.retries)
        let locker = try WriteLockHolder(fixture.path)
        let record = InvocationLedgerTests.record()
        writer.record(record, log: Data())
        try await Task.sleep(for: .milliseconds(100))
        writer.finish()
        try await Task.sleep(for: .seconds(1))
        // Spinning, 0.01 s a failed attempt, would have made about a hundred.
        #expect(retries.value <= 6, "\(retries.value) attempts in 1.1 s")
        locker.release()
        await fixture.finish()
        #expect(try await ledger.find(id: record.id)?.id == record.id)
    }
}

/// A ledger writer running on a fresh database, each retry it announces counted, and a first
/// record committed: its thread runs before a test takes the lock (the pool may start it late).
private struct RetryingWriter {
    let directory: TemporaryDirectory
    let path: String
    let ledger: InvocationLedger
    let writer: LedgerWriter
    let retries = RetryCount()
    let running: Task<Void, Never>

    init(busyTimeout: Double, retryDelay: Duration) async throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/flint.sqlite"
        ledger = InvocationLedger(database: try FlintDatabase(path: path, busyTimeout: busyTimeout))
        let retries = self.retries
        let writer = LedgerWriter(
            ledger: ledger, onError: { error, _ in Issue.record("records lost: \(error)") },
            onRetry: { _, _, _ in retries.add() }, retryDelay: retryDelay)
        self.writer = writer
        running = Task { await writer.run() }
        writer.record(InvocationLedgerTests.record(), log: Data())
        await writer.flushed()
    }

    /// Finishes the writer (again, if a test already did) and waits for it to end.
    func finish() async {
        writer.finish()
        await running.value
    }
}

/// Another program (python's sqlite3) holding the database's write lock until `release()`.
private struct WriteLockHolder {
    private let process = Process()
    private let input = Pipe()

    init(_ path: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); sys.stdin.readline(); c.execute("COMMIT")
            """, path]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("locked"))
    }

    /// Commits, which lets the lock go, and waits for the program to end.
    func release() {
        input.fileHandleForWriting.write(Data("go\n".utf8))
        process.waitUntilExit()
    }
}

private final class RetryCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
