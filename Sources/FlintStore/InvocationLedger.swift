public import FlintCore
public import Foundation
internal import GRDB

/// The invocation ledger: what ran, how it ended, what it cost, and its log.
public struct InvocationLedger: Sendable {
    private let database: FlintDatabase

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
        try await database.pool.write { db in
            for entry in entries {
                try InvocationRow(entry.record).insert(db, onConflict: .replace)
                if !entry.log.isEmpty {
                    try InvocationLogRow(invocationID: entry.record.id, tail: entry.log).insert(db, onConflict: .replace)
                }
            }
        }
    }

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
