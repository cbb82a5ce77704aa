internal import FlintCore
public import Foundation
internal import GRDB

extension Bus {
    /// Dead letters, newest first, optionally of one function, each with the beginning of its
    /// body (`DeadLetter.listedBodyBytes`).
    public func deadLetters(function: String? = nil, limit: Int = 100) throws(BusError) -> [DeadLetter] {
        try database.read { db in
            // A few bytes past the cut, to end it on a whole UTF-8 sequence.
            var sql = Self.deadLetterSQL(body: "substr(CAST(m.body AS BLOB), 1, \(DeadLetter.listedBodyBytes + 3))")
            var arguments: StatementArguments = []
            if let function {
                sql += " AND d.function = ?"
                arguments += [function]
            }
            sql += " ORDER BY d.settled_at_us DESC, d.id DESC LIMIT ?"
            arguments += [max(0, limit)]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { Self.deadLetter($0, bodyLimit: DeadLetter.listedBodyBytes) }
        }
    }

    /// One dead letter, with its whole body; nil when `id` is no dead letter (never was, or
    /// was replayed or discarded).
    public func deadLetter(id: Int64) throws(BusError) -> DeadLetter? {
        try database.read { db in
            try Row.fetchOne(db, sql: Self.deadLetterSQL(body: "CAST(m.body AS BLOB)") + " AND d.id = ?", arguments: [id])
                .map { Self.deadLetter($0, bodyLimit: nil) }
        }
    }

    private static func deadLetterSQL(body: String) -> String {
        """
        SELECT d.id, \(MessageID.effectiveSQL("m")) AS message_id, m.topic, d.subscription, d.function, d.attempt, d.last_error,
            d.last_invocation_id, m.published_at_us, d.settled_at_us, \(body) AS body, length(CAST(m.body AS BLOB)) AS body_bytes,
            EXISTS (SELECT 1 FROM subscriptions s WHERE s.name = d.subscription AND s.active) AS replayable
        FROM deliveries d JOIN messages m ON m.id = d.message
        WHERE d.state = 'dead'
        """
    }

    private static func deadLetter(_ row: Row, bodyLimit: Int?) -> DeadLetter {
        let bytes: Data = row["body"] ?? Data()
        let body = bodyLimit.map { StoredText.decoding(bytes, upTo: $0) } ?? StoredText.decoding(bytes)
        let bodyBytes: Int = row["body_bytes"] ?? 0
        return DeadLetter(
            id: row["id"], messageID: row["message_id"], topic: row["topic"], subscription: row["subscription"],
            function: row["function"], attempts: row["attempt"], lastError: row["last_error"],
            lastInvocationID: row["last_invocation_id"], publishedAt: EpochMicros.date(row["published_at_us"]),
            diedAt: EpochMicros.date(row["settled_at_us"] ?? 0),
            body: body, bodyBytes: bodyBytes, bodyTruncated: bodyLimit.map { bodyBytes > $0 } ?? false,
            replayable: row["replayable"] ?? true
        )
    }

    /// Queues dead letters again with fresh attempts: those with the given ids, or (ids nil)
    /// all of them, optionally only of one function. Returns the ids replayed; unknown ids,
    /// deliveries that are not dead, and dead letters of a retired subscription (its trigger or
    /// function was removed since: nothing would claim them again) are left out.
    ///
    /// A dead letter of a FIFO group goes to the end of its group, as SQS's redrive does: its
    /// group moved on when it died, and as its old head it would run beside (or ahead of) what
    /// the group is running or has waiting. It gets a new delivery id for that; the one
    /// returned is the id it was replayed by.
    public func replay(ids: [Int64]?, function: String? = nil, now: Date = Date()) throws(BusError) -> [Int64] {
        try replayNamingRetired(ids: ids, function: function, now: now).replayed
    }

    /// `replay`, also naming (in the same transaction) the dead letters of the selection it leaves
    /// dead because their subscription is retired, and the new delivery id of each replayed one
    /// of a FIFO group (by the id it was replayed by).
    public func replayNamingRetired(
        ids: [Int64]?, function: String? = nil, now: Date = Date()
    ) throws(BusError) -> (replayed: [Int64], retired: [Int64], renumbered: [Int64: Int64]) {
        if let ids, ids.isEmpty { return ([], [], [:]) }
        let (selection, arguments) = Self.deadLetterSelection(ids: ids, function: function)
        let nowMicros = EpochMicros.from(now)
        return try database.write { db in
            let replayable = "\(selection) AND subscription IN (SELECT name FROM subscriptions WHERE active)"
            // Grouped ones first, oldest first so that they keep their order at the group's end.
            let grouped = try Int64.fetchAll(
                db, sql: "SELECT id FROM deliveries WHERE \(replayable) AND group_key IS NOT NULL ORDER BY id", arguments: arguments)
            let append = try db.cachedStatement(sql: """
                INSERT INTO deliveries (message, subscription, function, group_key, visible_at_us, last_invocation_id)
                SELECT message, subscription, function, group_key, ?, last_invocation_id FROM deliveries WHERE id = ?
                """)
            let remove = try db.cachedStatement(sql: "DELETE FROM deliveries WHERE id = ?")
            var renumbered: [Int64: Int64] = [:]
            for id in grouped {
                try append.execute(arguments: [nowMicros, id])
                renumbered[id] = db.lastInsertedRowID
                try remove.execute(arguments: [id])
            }
            // The rest in place. Their last round's error goes: they are no longer dead. Its last
            // invocation stays known, so the next run takes an invocation id of its own (an
            // asynchronous invocation's first run has the request's).
            let inPlace = try Int64.fetchAll(db, sql: """
                UPDATE deliveries SET state = 'ready', attempt = 0, visible_at_us = ?, lease_epoch = lease_epoch + 1,
                    settled_at_us = NULL, first_received_at_us = NULL, last_error = NULL
                WHERE \(replayable)
                RETURNING id
                """, arguments: [nowMicros] + arguments)
            let replayed = (grouped + inPlace).sorted()
            // What is still dead of the selection now is what the replay left: a retired subscription's.
            let retired = try Int64.fetchAll(db, sql: "SELECT id FROM deliveries WHERE \(selection) ORDER BY id", arguments: arguments)
            return (replayed, retired, renumbered)
        }
    }

    /// Deletes dead letters for good: those with the given ids, or (ids nil) all of them,
    /// optionally only of one function, whatever their subscription (a retired one's included:
    /// nothing would take those, so discarding is how they go). Returns the ids discarded;
    /// unknown ids and deliveries that are not dead are left out.
    ///
    /// Only the deliveries go. A message no delivery needs any more is retention's to delete, as
    /// one whose deliveries are done is (`prune`): its dedup key stays taken until then, as the
    /// publisher was told, and another subscription's delivery of it may still need it.
    public func discard(ids: [Int64]?, function: String? = nil) throws(BusError) -> [Int64] {
        if let ids, ids.isEmpty { return [] }
        let (selection, arguments) = Self.deadLetterSelection(ids: ids, function: function)
        return try database.write { db in
            try Int64.fetchAll(db, sql: "DELETE FROM deliveries WHERE \(selection) RETURNING id", arguments: arguments).sorted()
        }
    }

    /// Dead deliveries with one of `ids` (any, when nil) of `function` (any, when nil).
    private static func deadLetterSelection(ids: [Int64]?, function: String?) -> (String, StatementArguments) {
        var sql = "state = 'dead'"
        var arguments: StatementArguments = []
        if let ids {
            sql += " AND id IN (\(databaseQuestionMarks(count: ids.count)))"
            arguments += StatementArguments(ids)
        }
        if let function {
            sql += " AND function = ?"
            arguments += [function]
        }
        return (sql, arguments)
    }
}
