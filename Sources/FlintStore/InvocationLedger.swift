public import FlintCore
public import Foundation
internal import GRDB

/// The invocation ledger: what ran, how it ended, what it cost, and its log.
public struct InvocationLedger: Sendable {
    let database: FlintDatabase

    public init(database: FlintDatabase) {
        self.database = database
    }

    /// One finished invocation and its log tail.
    public struct Entry: Sendable {
        public var record: InvocationRecord
        public var log: Data
        public init(record: InvocationRecord, log: Data) {
            self.record = record
            self.log = log
        }
    }

    /// Appends entries in one transaction (group commit).
    public func append(_ entries: [Entry]) async throws {
        guard !entries.isEmpty else { return }
        try await database.writeTransaction { db in try Self.insert(entries, into: db) }
    }

    /// This runs for every invocation, so it binds cached statements directly instead of going
    /// through the record's Codable encoding (several times slower).
    static func insert(_ entries: [Entry], into db: Database) throws {
        let insertInvocation = try db.cachedStatement(sql: insertInvocationSQL)
        let insertLog = try db.cachedStatement(sql: insertLogSQL)
        for entry in entries {
            let row = InvocationRow(entry.record)
            insertInvocation.setUncheckedArguments([
                row.id, row.function, row.trigger, row.source, row.attempt,
                row.startedAtMicros, row.endedAtMicros, row.durationMicros, row.billedMillis,
                row.memoryLimitMB, row.peakRSSBytes, row.userCPUMicros, row.systemCPUMicros,
                row.exitCode, row.signal, row.coldStart, row.outcome, row.errorMessage, row.initDurationMicros,
            ])
            try insertInvocation.execute()
            if !entry.log.isEmpty {
                insertLog.setUncheckedArguments([row.id, entry.log])
                try insertLog.execute()
            }
        }
    }

    static let insertInvocationSQL = """
        INSERT OR REPLACE INTO invocations (id, function, trigger, source, attempt, started_at_us, ended_at_us,
            duration_us, billed_ms, memory_limit_mb, peak_rss_bytes, user_cpu_us, system_cpu_us,
            exit_code, signal, cold_start, outcome, error_message, init_duration_us)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertLogSQL = "INSERT OR REPLACE INTO invocation_logs (invocation_id, tail) VALUES (?, ?)"

    /// The newest invocations first, optionally of one function, at most `limit`.
    public func recent(function: String? = nil, limit: Int = 50) async throws -> [InvocationRecord] {
        try await database.pool.read { db in
            var request = InvocationRow.all()
            if let function {
                request = request.filter(InvocationRow.Columns.function == function)
            }
            return try request
                .order(InvocationRow.Columns.startedAtMicros.desc, InvocationRow.Columns.id)
                .limit(max(0, limit))
                .fetchAll(db)
                .map(\.record)
        }
    }

    /// One invocation by id, or nil.
    public func find(id: String) async throws -> InvocationRecord? {
        try await database.pool.read { db in try InvocationRow.fetchOne(db, key: id)?.record }
    }

    /// The log tail of one invocation, or nil when it is unknown. Empty when it logged nothing.
    public func log(id: String) async throws -> Data? {
        try await database.pool.read { db in
            guard try InvocationRow.exists(db, key: id) else { return nil }
            return try InvocationLogRow.fetchOne(db, key: id)?.tail ?? Data()
        }
    }
}
