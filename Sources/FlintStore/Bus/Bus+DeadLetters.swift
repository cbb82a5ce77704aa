internal import FlintCore
public import Foundation
internal import GRDB

extension Bus {
    /// Dead letters, newest first, optionally of one function.
    public func deadLetters(function: String? = nil, limit: Int = 100) throws(BusError) -> [DeadLetter] {
        try database.read { db in
            var sql = """
                SELECT d.id, \(MessageID.effectiveSQL("m")) AS message_id, m.topic, d.subscription, d.function, d.attempt, d.last_error,
                    d.last_invocation_id, m.published_at_us, d.settled_at_us, m.body
                FROM deliveries d JOIN messages m ON m.id = d.message
                WHERE d.state = 'dead'
                """
            var arguments: StatementArguments = []
            if let function {
                sql += " AND d.function = ?"
                arguments += [function]
            }
            sql += " ORDER BY d.settled_at_us DESC, d.id DESC LIMIT ?"
            arguments += [max(0, limit)]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                DeadLetter(
                    id: row["id"], messageID: row["message_id"], topic: row["topic"], subscription: row["subscription"],
                    function: row["function"], attempts: row["attempt"], lastError: row["last_error"],
                    lastInvocationID: row["last_invocation_id"], publishedAt: EpochMicros.date(row["published_at_us"]),
                    diedAt: EpochMicros.date(row["settled_at_us"] ?? 0), body: row["body"]
                )
            }
        }
    }

    /// Queues dead letters again with fresh attempts: those with the given ids, or (ids nil)
    /// all of them, optionally only of one function. Returns the ids replayed; unknown ids and
    /// deliveries that are not dead are left out.
    public func replay(ids: [Int64]?, function: String? = nil, now: Date = Date()) throws(BusError) -> [Int64] {
        let nowMicros = EpochMicros.from(now)
        return try database.write { db in
            var sql = """
                UPDATE deliveries SET state = 'ready', attempt = 0, visible_at_us = ?, lease_epoch = lease_epoch + 1,
                    settled_at_us = NULL
                WHERE state = 'dead'
                """
            var arguments: StatementArguments = [nowMicros]
            if let ids {
                guard !ids.isEmpty else { return [] }
                sql += " AND id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))"
                arguments += StatementArguments(ids)
            }
            if let function {
                sql += " AND function = ?"
                arguments += [function]
            }
            sql += " RETURNING id"
            return try Int64.fetchAll(db, sql: sql, arguments: arguments).sorted()
        }
    }
}
