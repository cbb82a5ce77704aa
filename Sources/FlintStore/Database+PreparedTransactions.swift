internal import GRDB

/// Transactions and savepoints whose control statements are prepared once per connection.
///
/// GRDB's `inTransaction` and `inSavepoint` parse `BEGIN`, `COMMIT`, `SAVEPOINT` and `RELEASE`
/// anew on every call (and `read` runs through `inSavepoint`). Every bucket event, claim and
/// settlement is a transaction, and on the watcher's thread that parsing was ~7 % of its CPU per
/// event. The statements here come from the connection's statement cache instead; what they do,
/// and what GRDB's transaction observers see, is the same.
///
/// One difference: after SQLite itself has rolled a transaction back (a full disk, an I/O error),
/// GRDB's transactions make every later statement throw; these only fail at their end. So a write
/// body that goes on after a failed part runs that part through `inPreparedSavepointOrRefusal`.
extension Database {
    /// Runs `body` in a transaction, committed when `body` returns and rolled back when it throws:
    /// IMMEDIATE for writes (as GRDB's), DEFERRED for reads that must see one snapshot.
    func inPreparedTransaction<T>(kind: TransactionKind = .immediate, _ body: (Database) throws -> T) throws -> T {
        try cachedStatement(sql: Self.beginSQL(kind)).execute()
        do {
            let result = try body(self)
            try checkStillInTransaction()
            try cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            // A failed COMMIT (busy past the timeout) leaves the transaction open.
            if isInsideTransaction { try? rollback() }
            throw error
        }
    }

    /// Runs `body` in a savepoint of the transaction in progress: what it wrote is kept when it
    /// returns, undone when it throws, and the transaction goes on either way.
    func inPreparedSavepoint<T>(_ body: () throws -> T) throws -> T {
        // Outside a transaction, SAVEPOINT would open a DEFERRED one, which may fail with
        // SQLITE_BUSY on its first write.
        precondition(isInsideTransaction, "inPreparedSavepoint outside a transaction")
        try cachedStatement(sql: "SAVEPOINT flint").execute()
        do {
            let result = try body()
            try checkStillInTransaction()
            try cachedStatement(sql: "RELEASE SAVEPOINT flint").execute()
            return result
        } catch {
            if isInsideTransaction {
                do {
                    // ROLLBACK TO keeps the savepoint on SQLite's stack; RELEASE takes it off.
                    try cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT flint").execute()
                    try cachedStatement(sql: "RELEASE SAVEPOINT flint").execute()
                } catch {
                    // What the savepoint wrote cannot be undone alone: undo the whole transaction,
                    // so that none of it is committed. The caller finds it ended.
                    try? rollback()
                }
            }
            throw error
        }
    }

    /// `inPreparedSavepoint` for a part of a transaction the rest may go on without: a failure
    /// that would fail again as it is (a constraint the part breaks) is returned, its writes
    /// undone; one that ended the whole transaction (nothing after it may run, outside any
    /// transaction) or may pass (a full disk, a busy database) is thrown, so that the whole
    /// transaction fails and can be retried.
    func inPreparedSavepointOrRefusal<T>(_ body: () throws -> T) throws -> Result<T, any Error> {
        do {
            return .success(try inPreparedSavepoint(body))
        } catch {
            if !isInsideTransaction || FlintDatabase.mayPass(error) { throw error }
            return .failure(error)
        }
    }

    private static func beginSQL(_ kind: TransactionKind) -> String {
        switch kind {
        case .deferred: "BEGIN DEFERRED TRANSACTION"
        case .immediate: "BEGIN IMMEDIATE TRANSACTION"
        case .exclusive: "BEGIN EXCLUSIVE TRANSACTION"
        }
    }

    /// SQLite rolls a whole transaction back by itself on some errors (a full disk, an I/O
    /// error). A body that caught such an error and went on must not then commit as if its
    /// earlier statements had been kept: the later ones ran outside any transaction.
    private func checkStillInTransaction() throws {
        guard isInsideTransaction else {
            throw DatabaseError(
                resultCode: .SQLITE_ABORT,
                message: "SQLite rolled the transaction back before its end (what it wrote until then is undone); retry the whole of it"
            )
        }
    }
}

extension DatabasePool {
    /// `read`, in a transaction whose BEGIN and COMMIT are prepared once per reader connection.
    /// (Writes go through `FlintDatabase.writeTransaction`, which counts them.)
    func readInPreparedTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try unsafeRead { db in try db.inPreparedTransaction(kind: .deferred, body) }
    }
}
