internal import GRDB
internal import GRDBSQLite
internal import Synchronization

extension FlintDatabase {
    /// Whether a failed write may succeed later, unchanged: the database was busy or locked past
    /// the busy timeout, the disk was full, or an I/O error occurred. Anything else (a constraint
    /// the write breaks, say) would fail again.
    static func mayPass(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR].contains(error.resultCode)
    }

    /// Runs `body` in a write transaction; a failure is a `BusError` that names this file (a
    /// locked database, a full disk, input the schema refuses).
    func write<T>(_ body: (Database) throws -> T) throws(BusError) -> T {
        do {
            return try writeTransaction(body)
        } catch {
            throw BusError.from(error, path: path)
        }
    }

    /// `write`, waiting without blocking the calling thread.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(BusError) -> T {
        do {
            return try await writeTransaction(body)
        } catch {
            throw BusError.from(error, path: path)
        }
    }

    /// Whether a write transaction of this `FlintDatabase`'s is waiting for the writer or under
    /// way: a write to the WAL seen now is most likely its own (`DatabaseChangeMonitor.wakingForBusChanges`).
    public var isWriting: Bool { ownWriteTransactions.load(ordering: .relaxed) > 0 }

    /// Runs `body` in a write transaction on the writer connection, its BEGIN and COMMIT prepared
    /// once (`Database.inPreparedTransaction`), counted in `isWriting` from before it waits for
    /// the writer until it has committed or rolled back. Every write transaction of the daemon's
    /// comes here.
    @_disfavoredOverload
    func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        let askedAt = ContinuousClock.now
        ownWriteTransactions.add(1, ordering: .relaxed)
        defer { ownWriteTransactions.subtract(1, ordering: .relaxed) }
        return try pool.writeWithoutTransaction { db in
            try Self.withBusyBudget(db, busyTimeout: busyTimeout, askedAt: askedAt) { try db.inPreparedTransaction(body) }
        }
    }

    /// `writeTransaction`, waiting without blocking the calling thread.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let askedAt = ContinuousClock.now
        ownWriteTransactions.add(1, ordering: .relaxed)
        defer { ownWriteTransactions.subtract(1, ordering: .relaxed) }
        return try await pool.writeWithoutTransaction { [busyTimeout] db in
            try Self.withBusyBudget(db, busyTimeout: busyTimeout, askedAt: askedAt) { try db.inPreparedTransaction(body) }
        }
    }

    /// Runs `body` with the busy timeout shortened by how long the transaction waited for the
    /// writer connection: while another program holds the lock, the writes queued behind the one
    /// waiting for it would each wait the whole timeout in turn (four of them: 40 s), where each
    /// should be refused once the timeout has passed since it was asked for.
    private static func withBusyBudget<T>(
        _ db: Database, busyTimeout: Double, askedAt: ContinuousClock.Instant, _ body: () throws -> T
    ) throws -> T {
        let waited = ContinuousClock.now - askedAt
        // The common case, a writer that was free: the connection's own timeout, untouched.
        guard waited > .milliseconds(1) else { return try body() }
        let full = Duration.milliseconds(Int64(busyTimeout * 1000))
        let left = max(.zero, full - waited)
        let (seconds, attoseconds) = left.components
        sqlite3_busy_timeout(db.sqliteConnection, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        defer { sqlite3_busy_timeout(db.sqliteConnection, Int32(clamping: Int64(busyTimeout * 1000))) }
        return try body()
    }

    /// Runs `body` on a reader outside any transaction, each statement on its own snapshot: for
    /// the consumer's glances (what may be due, the next deadline), asked on every wake-up, whose
    /// statements need not agree with each other. Spares a BEGIN and a COMMIT each.
    func glance<T>(_ body: (Database) throws -> T) throws(BusError) -> T {
        do {
            return try pool.unsafeRead(body)
        } catch {
            throw BusError.from(error, path: path)
        }
    }

    /// Runs `body` in a read transaction; a failure is a `BusError` that names this file.
    func read<T>(_ body: (Database) throws -> T) throws(BusError) -> T {
        do {
            return try pool.readInPreparedTransaction(body)
        } catch {
            throw BusError.from(error, path: path)
        }
    }
}
