internal import GRDB

extension FlintDatabase {
    /// Runs `sql`, a DELETE whose last parameter is the LIMIT of one chunk, in a transaction of its
    /// own per chunk until a chunk deletes fewer than `chunk` rows. Short transactions keep other
    /// writers (publishers, the ledger writer) from waiting long. Returns how many rows it deleted.
    func deleteInChunks(_ sql: String, arguments: [any DatabaseValueConvertible], chunk: Int) throws(BusError) -> Int {
        var deleted = 0
        while true {
            let count = try write { db in
                try db.execute(sql: sql, arguments: StatementArguments(arguments + [chunk]))
                return db.changesCount
            }
            deleted += count
            if count < chunk { return deleted }
        }
    }
}
