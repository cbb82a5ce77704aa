@testable import FlintStore
import Foundation
import GRDB
import Synchronization
import Testing

/// Transactions and savepoints with prepared control statements keep GRDB's: all or nothing,
/// observers told of commits only, and nothing committed after SQLite itself ended a transaction.
@Suite struct PreparedTransactionTests {
    struct Refused: Error {}

    final class Commits: TransactionObserver, Sendable {
        private let counts = Mutex((commits: 0, rollbacks: 0, changes: 0))
        var commits: Int { counts.withLock { $0.commits } }
        var rollbacks: Int { counts.withLock { $0.rollbacks } }
        var changes: Int { counts.withLock { $0.changes } }
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) { counts.withLock { $0.changes += 1 } }
        func databaseDidCommit(_ db: Database) { counts.withLock { $0.commits += 1 } }
        func databaseDidRollback(_ db: Database) { counts.withLock { $0.rollbacks += 1 } }
    }

    let directory: TemporaryDirectory
    let database: FlintDatabase

    init() throws {
        directory = try TemporaryDirectory()
        database = try FlintDatabase(path: directory.path + "/flint.sqlite")
        try database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (value TEXT NOT NULL)") }
    }

    func values() throws -> [String] {
        try database.pool.read { db in try String.fetchAll(db, sql: "SELECT value FROM scratch ORDER BY rowid") }
    }

    func insert(_ value: String, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO scratch (value) VALUES (?)").execute(arguments: [value])
    }

    @Test func commitsWhatTheBodyWrote_andRollsBackAllOfItWhenTheBodyThrows() throws {
        let commits = Commits()
        database.pool.add(transactionObserver: commits, extent: .databaseLifetime)

        let returned = try database.writeTransaction { db in
            try insert("a", db)
            try insert("b", db)
            return 2
        }
        #expect(returned == 2)
        #expect(try values() == ["a", "b"])
        #expect(commits.commits == 1)

        #expect(throws: Refused.self) {
            try database.writeTransaction { db in
                try insert("c", db)
                throw Refused()
            }
        }
        #expect(try values() == ["a", "b"], "a throwing body's rows were kept")
        #expect(commits.commits == 1, "a rolled-back transaction was reported as committed")
        #expect(commits.rollbacks == 1)

        // The same statements serve the next transaction: the connection was left outside one.
        try database.writeTransaction { db in try insert("d", db) }
        #expect(try values() == ["a", "b", "d"])
    }

    @Test func aThrowingSavepointUndoesOnlyItsOwnRows_andTheTransactionGoesOn() throws {
        try database.writeTransaction { db in
            try insert("before", db)
            try db.inPreparedSavepoint { try insert("kept", db) }
            #expect(throws: Refused.self) {
                try db.inPreparedSavepoint {
                    try insert("undone", db)
                    throw Refused()
                }
            }
            #expect(db.isInsideTransaction)
            try insert("after", db)
        }
        #expect(try values() == ["before", "kept", "after"])
    }

    /// Observers hear of the changes a savepoint kept, once, and not of those it undid.
    @Test func observersHearOfWhatSavepointsKept_only() throws {
        let commits = Commits()
        database.pool.add(transactionObserver: commits, extent: .databaseLifetime)
        try database.writeTransaction { db in
            try insert("before", db)
            try? db.inPreparedSavepoint {
                try insert("undone", db)
                throw Refused()
            }
            try db.inPreparedSavepoint { try insert("kept", db) }
        }
        #expect(commits.changes == 2)
        #expect(commits.commits == 1)
    }

    /// A part the rest of a transaction may go without: what the part breaks is returned as a
    /// refusal, its rows undone, and the transaction goes on; a failure that may pass (a full
    /// disk) fails the whole transaction, so that it can be retried.
    @Test func aSavepointsRefusal_isReturned_butAFullDiskFailsTheWholeTransaction() throws {
        try database.writeTransaction { db in
            try insert("before", db)
            let refusal = try db.inPreparedSavepointOrRefusal {
                try insert("undone", db)
                try db.execute(sql: "INSERT INTO scratch (value) VALUES (NULL)")
            }
            #expect(throws: DatabaseError.self) { try refusal.get() }
            try insert("after", db)
        }
        #expect(try values() == ["before", "after"])

        // A statement failing with SQLITE_FULL where SQLite keeps the transaction open (it
        // may also end it, as it does when `max_page_count` is reached).
        let fullDisk = DatabaseFunction("full_disk", argumentCount: 0) { _ in
            throw DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
        }
        let error = #expect(throws: DatabaseError.self) {
            try database.writeTransaction { db in
                db.add(function: fullDisk)
                try insert("lost", db)
                _ = try db.inPreparedSavepointOrRefusal { try db.execute(sql: "SELECT full_disk()") }
                try insert("after a full disk", db)
            }
        }
        #expect(error?.resultCode == .SQLITE_FULL)
        #expect(try values() == ["before", "after"], "a transaction went on past a full disk")
    }

    /// A read sees one snapshot from its first statement to its last, as GRDB's `read` does,
    /// and the next read sees what was committed meanwhile.
    @Test func aReadSeesOneSnapshot_andTheNextReadSeesNewCommits() throws {
        try database.pool.write { db in try insert("a", db) }
        let counts = try database.pool.readInPreparedTransaction { db in
            let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch")
            try database.pool.write { db in try insert("b", db) }
            let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch")
            return (before, after)
        }
        #expect(counts.0 == 1)
        #expect(counts.1 == 1, "a write committed during the read showed through it")
        #expect(try database.pool.readInPreparedTransaction { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") } == 2)
    }

    /// SQLite ends a transaction by itself on some errors (a full disk, an I/O error); a body that
    /// caught the error and went on wrote its later rows outside any transaction. Its end must
    /// fail, not report a commit of the whole.
    @Test func aTransactionSQLiteEnded_failsAtItsEnd_insteadOfCommitting() throws {
        let commits = Commits()
        database.pool.add(transactionObserver: commits, extent: .databaseLifetime)
        let error = #expect(throws: DatabaseError.self) {
            try database.writeTransaction { db in
                try insert("lost", db)
                try db.execute(sql: "ROLLBACK")  // what SQLite does by itself on SQLITE_FULL
            }
        }
        #expect(error?.resultCode == .SQLITE_ABORT)
        #expect(try values().isEmpty)
        #expect(commits.commits == 0)

        let inSavepoint = #expect(throws: DatabaseError.self) {
            try database.writeTransaction { db in
                try db.inPreparedSavepoint {
                    try insert("lost", db)
                    try db.execute(sql: "ROLLBACK")
                }
            }
        }
        #expect(inSavepoint?.resultCode == .SQLITE_ABORT)
        #expect(try values().isEmpty)
    }
}
