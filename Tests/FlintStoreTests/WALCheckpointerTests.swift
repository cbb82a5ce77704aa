import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// The daemon's commits never run a checkpoint: a thread of its own copies the WAL into the
/// database file, and the WAL still starts over from its beginning under a steady stream of commits.
@Suite struct WALCheckpointerTests {
    /// A database with a table to fill: each `fill` commit appends ~5 pages to the WAL.
    struct Fixture {
        let directory: TemporaryDirectory
        let database: FlintDatabase
        var path: String { database.path }

        init() throws {
            directory = try TemporaryDirectory()
            database = try FlintDatabase(path: directory.path + "/flint.sqlite")
            try database.pool.write { db in try db.execute(sql: "CREATE TABLE filler (data BLOB NOT NULL)") }
        }

        func fill(commits: Int) throws {
            for _ in 0..<commits {
                try database.pool.write { db in try db.execute(sql: "INSERT INTO filler (data) VALUES (zeroblob(16000))") }
            }
        }

        /// Bytes in the database file itself: only a checkpoint writes it.
        func databaseFileSize() throws -> Int {
            try Self.size(of: path)
        }

        func walFileSize() throws -> Int {
            try Self.size(of: path + "-wal")
        }

        private static func size(of path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        }
    }

    static func waitUntil(_ what: Comment, seconds: Double = 10, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            if Date() > deadline {
                Issue.record("not within \(seconds) s: \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static let ignoreErrors: @Sendable (String) -> Void = { _ in }

    @Test func withoutIt_theWritersOwnCommitsCheckpoint() throws {
        let fixture = try Fixture()
        let before = try fixture.databaseFileSize()
        try fixture.fill(commits: 400)   // ~2,000 pages: past SQLite's 1,000
        #expect(try fixture.databaseFileSize() > before + 1_000_000, "SQLite's automatic checkpoint did not run in a commit")
    }

    @Test func installed_theWriterNoLongerCheckpoints_theThreadDoes() async throws {
        let fixture = try Fixture()
        let checkpointer = try WALCheckpointer(database: fixture.database, onError: Self.ignoreErrors)
        try checkpointer.takeOverFromTheWriter()
        let before = try fixture.databaseFileSize()
        try fixture.fill(commits: 400)
        #expect(try fixture.databaseFileSize() == before, "a commit of the writer checkpointed")

        checkpointer.startThread()
        defer { checkpointer.stop() }
        try await Self.waitUntil("the thread checkpointed") { checkpointer.status.checkpoints >= 1 }
        #expect(try fixture.databaseFileSize() >= 400 * 16000, "the checkpoint did not copy the whole WAL")
        // Everything was copied, so the next commit starts the WAL over from its beginning.
        try fixture.fill(commits: 1)
        let walPages = try await DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in try db.checkpoint(.passive).walFrameCount }
        #expect(walPages < 50, "the WAL was not started over after the checkpoint: \(walPages) pages")
    }

    @Test func underSteadyCommits_theWALStillStartsOver() async throws {
        let fixture = try Fixture()
        let checkpointer = try WALCheckpointer.start(for: fixture.database, onError: Self.ignoreErrors)
        defer { checkpointer.stop() }
        // ~15,000 pages (~60 MB) in 3,000 commits, while the thread checkpoints beside them. A
        // checkpoint beside a busy writer never copies everything by itself: without the last
        // pass between two writes, the WAL would never start over and its file would hold them all.
        try fixture.fill(commits: 3000)
        try await Self.waitUntil("the WAL started over") { checkpointer.walRestarts >= 1 }
        let wal = try fixture.walFileSize()
        #expect(wal < 50_000_000, "the WAL grew to \(wal) bytes")
    }

    @Test func aReaderThatHeldTheWALBack_doesNotLeaveItGrowing() async throws {
        let fixture = try Fixture()
        let checkpointer = try WALCheckpointer(database: fixture.database, onError: Self.ignoreErrors)
        try checkpointer.takeOverFromTheWriter()
        defer { checkpointer.stop() }
        try fixture.fill(commits: 250)   // past 1,000 pages: a checkpoint is asked for
        // A reader in the middle of a transaction that reads from the WAL while the checkpoint runs:
        // the checkpoint copies every page, but the WAL cannot start over under it.
        let reader = try HeldReader(path: fixture.path)
        checkpointer.startThread()
        try await Self.waitUntil("a checkpoint ran") { checkpointer.status.checkpoints >= 1 }
        try fixture.fill(commits: 5)
        #expect(checkpointer.walRestarts == 0, "the WAL started over under a reader")
        reader.release()
        // Reader gone: the next few commits must start it over, not another 1,000 pages later
        // (20 commits add ~100 pages).
        for _ in 0 ..< 20 where checkpointer.walRestarts == 0 {
            try fixture.fill(commits: 1)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(checkpointer.walRestarts >= 1, "the WAL did not start over once the reader had gone")
    }

    @Test func stop_givesTheWriterItsAutomaticCheckpointsBack_andEndsTheThread() async throws {
        let fixture = try Fixture()
        weak var stopped: WALCheckpointer?
        do {
            let checkpointer = try WALCheckpointer.start(for: fixture.database, onError: Self.ignoreErrors)
            stopped = checkpointer
            checkpointer.stop()
            checkpointer.stop()   // a second call does nothing
        }
        try await Self.waitUntil("the checkpointer was released (its thread ended, the hook let go)") { stopped == nil }
        let before = try fixture.databaseFileSize()
        try fixture.fill(commits: 400)
        #expect(try fixture.databaseFileSize() > before + 1_000_000, "after stop(), no commit checkpointed")
    }

    @Test func aDatabaseOpenForReadingOnly_isRefused() throws {
        let fixture = try Fixture()
        let reader = try FlintDatabase(readingOnly: fixture.path)
        #expect {
            _ = try WALCheckpointer.start(for: reader, onError: Self.ignoreErrors)
        } throws: { error in
            guard case BusError.database(let path, let message) = error else { return false }
            return path == fixture.path && message.contains("reading only")
        }
    }
}

/// A read transaction held open on a thread of its own (GRDB ends its transactions with each
/// access), until `release()`.
final class HeldReader: Sendable {
    struct DidNotStart: Error {}

    private let started = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    init(path: String) throws {
        let queue = try DatabaseQueue(path: path)
        Thread { [started, released] in
            try? queue.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM filler")
                started.signal()
                released.wait()
            }
        }.start()
        guard started.wait(timeout: .now() + 10) == .success else { throw DidNotStart() }
    }

    func release() {
        released.signal()
    }
}

