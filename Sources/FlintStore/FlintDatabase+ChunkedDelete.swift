internal import GRDB

extension FlintDatabase {
    /// Runs `sql`, a DELETE whose last parameter is the LIMIT of one chunk, in a transaction of its
    /// own per chunk until a chunk deletes fewer than `chunk` rows, or `shouldContinue` says stop
    /// (checked before each chunk). Short transactions keep other writers (publishers, the ledger
    /// writer) from waiting long. Returns how many rows it deleted.
    func deleteInChunks(
        _ sql: String, arguments: [any DatabaseValueConvertible], chunk: Int, while shouldContinue: () -> Bool = { true }
    ) throws(BusError) -> Int {
        precondition(chunk > 0, "a chunk must hold at least one row, or the loop never ends")
        var deleted = 0
        while shouldContinue() {
            let count = try write { db in
                try db.execute(sql: sql, arguments: StatementArguments(arguments + [chunk]))
                return db.changesCount
            }
            deleted += count
            if count < chunk { break }
        }
        return deleted
    }
}
