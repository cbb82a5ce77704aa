internal import GRDB
internal import Synchronization

extension FlintDatabase {
    /// Calls `action` after each commit of this connection that changed the bus (a message or a
    /// delivery inserted, updated or deleted), except the bus consumer's claims: how the daemon's
    /// own publishing, settling and replaying wake its consumer at once. Install once; `action`
    /// runs on the committing thread and must return quickly.
    public func onBusCommit(_ action: @escaping @Sendable () -> Void) {
        let observer = BusCommitObserver(onCommit: action)
        busCommits.withLock { $0 = observer }
        pool.add(transactionObserver: observer, extent: .databaseLifetime)
    }

    /// Whether another connection (another process, or another `FlintDatabase` of this file) has
    /// committed since the last call; true on the first call, and when the database cannot be
    /// read (a caller that wakes on true then looks for itself). SQLite's `data_version` of the
    /// writer connection changes with every commit but the writer's own.
    public func hasCommitsFromOtherConnections() -> Bool {
        do {
            return try pool.writeWithoutTransaction { db in
                let version = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version"))
                return writerDataVersion.withLock { last in
                    defer { last = version }
                    return version == nil || last != version
                }
            }
        } catch {
            return true
        }
    }

    /// Runs `body` in a write transaction whose commit `onBusCommit`'s action does not hear of.
    func quietWrite<T>(_ body: (Database) throws -> T) throws(BusError) -> T {
        try write { db in
            markCommitQuiet()
            return try body(db)
        }
    }

    /// The write transaction in progress (call from inside it) commits without `onBusCommit`'s
    /// action hearing of it: the bus consumer has nothing to look for.
    func markCommitQuiet() {
        busCommits.withLock { $0 }?.markQuiet()
    }
}
