extension DatabaseChangeMonitor {
    /// Calls `wake` whenever a commit may have made bus work claimable, as the daemon's consumer
    /// needs: `database`'s own commits that change the bus as they commit (its claims excepted),
    /// and any other connection's commit (`flint publish`, a plain sqlite3 INSERT) through the
    /// WAL. `database`'s other commits (the ledger's rows) call nothing. Not started yet.
    /// `onDatabaseGone`: as `init`'s. A WAL write seen while `database` writes is looked into
    /// a few milliseconds later (`ownWriteDelayMillis`): the look takes the writer connection,
    /// which that write holds.
    public static func wakingForBusChanges(
        of database: FlintDatabase, onDatabaseGone: @escaping @Sendable () -> Void = {}, wake: @escaping @Sendable () -> Void
    ) throws(DatabaseChangeMonitorError) -> DatabaseChangeMonitor {
        database.onBusCommit(wake)
        // What is committed now is the consumer's first pass's to see: later calls answer for what follows.
        _ = database.hasCommitsFromOtherConnections()
        return try DatabaseChangeMonitor(
            databasePath: database.path, ownWriteUnderWay: { database.isWriting }, onDatabaseGone: onDatabaseGone
        ) {
            if database.hasCommitsFromOtherConnections() { wake() }
        }
    }
}
