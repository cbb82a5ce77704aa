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
        checkpointer.takeOverFromTheWriter()
        let before = try fixture.databaseFileSize()
        try fixture.fill(commits: 400)
        #expect(try fixture.databaseFileSize() == before, "a commit of the writer checkpointed")

        checkpointer.startThread()
        defer { checkpointer.stop() }
        try await Self.waitUntil("the thread checkpointed") { checkpointer.checkpointsDone >= 1 }
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
        // ~15,000 pages (~60 MB) in 3,000 commits, while the thread checkpoints beside them. If the
        // WAL never started over, its file would hold them all.
        try fixture.fill(commits: 3000)
        #expect(checkpointer.checkpointsDone >= 2, "too few checkpoints ran: \(checkpointer.checkpointsDone)")
        let wal = try fixture.walFileSize()
        #expect(wal < 30_000_000, "the WAL grew to \(wal) bytes: it never started over")
    }

    @Test func stop_givesTheWriterItsAutomaticCheckpointsBack() throws {
        let fixture = try Fixture()
        let checkpointer = try WALCheckpointer.start(for: fixture.database, onError: Self.ignoreErrors)
        checkpointer.stop()
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
            "\(error)".contains("reading only")
        }
    }
}
