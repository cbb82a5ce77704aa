internal import GRDB

extension Bus {
    /// Messages fanned out per transaction: large enough that a backlog is caught up in few
    /// commits, small enough that publishers and the ledger never wait long behind one.
    public static let fanOutBatch = 512

    /// Writes the deliveries of up to `limit` messages published since the last fan-out, oldest
    /// first: one per subscription of the message's topic that is active now and existed before
    /// the message. Returns how many messages it fanned out; `limit` means more may be waiting.
    ///
    /// Publishing writes only the message (see `BusSchema.deferFanOut`). `claim` fans out first,
    /// in its own transaction, and `dueSubscriptions` counts the messages it will fan out, so a
    /// consumer usually needs no call of its own; it calls this after its claims, for messages no
    /// claim took up (a topic nobody claims from now, a backlog beyond one batch). Costs one
    /// read when nothing is waiting.
    @discardableResult
    public func fanOut(limit: Int = Bus.fanOutBatch) throws(BusError) -> Int {
        guard limit > 0 else { return 0 }
        let waiting = try database.read { db in try Self.hasUnfannedMessages(db) }
        guard waiting else { return 0 }
        // The consumer calling this looks for due deliveries next anyway: the commit need not wake it.
        return try database.quietWrite { db in try Self.fanOut(limit: limit, in: db) }
    }

    /// `fanOut`, inside the caller's write transaction.
    static func fanOut(limit: Int, in db: Database) throws -> Int {
        let range = try Row.fetchOne(db.cachedStatement(sql: unfannedRangeSQL), arguments: [limit])
        guard let range, let last: Int64 = range[2] else { return 0 }
        let first: Int64 = range[1]
        try db.cachedStatement(sql: fanOutSQL).execute(arguments: [first, last])
        try db.cachedStatement(sql: "UPDATE fan_out_cursor SET through_message = ?").execute(arguments: [last])
        return range[0]
    }

    static func hasUnfannedMessages(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM messages WHERE id > (SELECT through_message FROM fan_out_cursor))
            """)) ?? false
    }

    /// The active subscriptions that will receive one of the next ?1 messages not fanned out yet.
    static let receivingUnfannedSQL = """
        SELECT DISTINCT s.name FROM (
            SELECT id, topic FROM messages WHERE id > (SELECT through_message FROM fan_out_cursor) ORDER BY id LIMIT ?1) m
        JOIN subscriptions s ON s.topic = m.topic AND s.active AND s.since_message < m.id
        """

    /// How many of the next ?1 messages are not fanned out yet, and the first and last of their ids.
    static let unfannedRangeSQL = """
        SELECT count(*), min(id), max(id) FROM (
            SELECT id FROM messages WHERE id > (SELECT through_message FROM fan_out_cursor) ORDER BY id LIMIT ?1)
        """

    /// One delivery per message with id in ?1...?2 and per subscription that receives it, in
    /// message order (delivery ids keep each group's publishing order). bench/queue_bench.py
    /// reads this literal too.
    static let fanOutSQL = """
        INSERT INTO deliveries (message, subscription, function, group_key, visible_at_us)
        SELECT m.id, s.name, s.function, m.group_key, m.published_at_us
        FROM messages m JOIN subscriptions s ON s.topic = m.topic AND s.active AND s.since_message < m.id
        WHERE m.id BETWEEN ?1 AND ?2
        ORDER BY m.id
        """
}
