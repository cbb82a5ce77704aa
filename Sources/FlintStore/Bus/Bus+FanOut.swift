internal import GRDB

extension Bus {
    /// Messages fanned out per transaction: large enough that a backlog is caught up in few
    /// commits, small enough that publishers and the ledger never wait long behind one.
    public static let fanOutBatch = 512

    /// Messages nobody receives that may wait before the cursor is moved past them. Few, since
    /// each fan-out and claim looks through them again until then.
    static let gatheredWithoutReceivers = 64

    /// Writes the deliveries of up to `limit` messages published since the last fan-out, oldest
    /// first: one per subscription of the message's topic that is active now and existed before
    /// the message. Returns how many messages it fanned out.
    ///
    /// Messages nobody receives need no delivery, only the cursor moved past them: that waits
    /// until `gatheredWithoutReceivers` of them (or `limit`, if fewer) have gathered, or a
    /// message with a receiver follows them. So publishing on a topic without subscribers costs
    /// the daemon no commit per message (each would hold the write lock a publisher waits for).
    /// Such a message is never received later: a subscription created, moved or made active
    /// again starts after the newest message.
    ///
    /// Publishing writes only the message (see `BusSchema.deferFanOut`). `claim` fans out first,
    /// in its own transaction, and `dueSubscriptions` counts the messages it will fan out, so a
    /// consumer usually needs no call of its own; it calls this after its claims, for messages no
    /// claim took up (a topic nobody claims from now, a backlog beyond one batch). One read when
    /// there is nothing to write.
    @discardableResult
    public func fanOut(limit: Int = Bus.fanOutBatch) throws(BusError) -> Int {
        guard limit > 0 else { return 0 }
        let hasWork = try database.read { db in try Self.nextFanOut(limit: limit, in: db) != nil }
        guard hasWork else { return 0 }
        // The caller (the consumer, after its claims) looks again when this returns more than 0.
        return try database.quietWrite { db in try Self.fanOut(limit: limit, in: db) }
    }

    /// `fanOut`, inside the caller's write transaction.
    static func fanOut(limit: Int, in db: Database) throws -> Int {
        try fanOutCounting(limit: limit, in: db).messages
    }

    /// `fanOut`, inside the caller's write transaction; also says how many deliveries it wrote.
    /// Fewer messages than `limit` means none is left to fan out: the range it read held every
    /// message published since the cursor.
    ///
    /// `gathering`: messages nobody receives wait for more of them, as `fanOut` lets them. A
    /// transaction that publishes commits anyway, and can move the cursor past them at once,
    /// without first asking whether any has a receiver.
    static func fanOutCounting(limit: Int, gathering: Bool = true, in db: Database) throws -> (messages: Int, deliveries: Int) {
        guard let next = try nextFanOut(limit: limit, gathering: gathering, in: db) else { return (0, 0) }
        try db.cachedStatement(sql: fanOutSQL).execute(arguments: [next.first, next.last])
        let deliveries = db.changesCount
        try db.cachedStatement(sql: advanceCursorSQL).execute(arguments: [next.last])
        return (next.count, deliveries)
    }

    /// The next messages to fan out, up to `limit`; nil when there is nothing to write yet.
    private static func nextFanOut(limit: Int, gathering: Bool = true, in db: Database) throws -> (count: Int, first: Int64, last: Int64)? {
        guard let range = try Row.fetchOne(db.cachedStatement(sql: unfannedRangeSQL), arguments: [limit]),
              let first: Int64 = range[1], let last: Int64 = range[2]
        else { return nil }
        let count: Int = range[0]
        if gathering, count < min(limit, gatheredWithoutReceivers) {
            let anyReceiver = try Bool.fetchOne(db.cachedStatement(sql: anyReceiverSQL), arguments: [first, last]) ?? false
            guard anyReceiver else { return nil }
        }
        return (count, first, last)
    }

    // The rules, once; every statement that asks who receives a message or what is not fanned
    // out yet is written with them (bench/queue_bench.py resolves these interpolations too).

    /// Subscription `s` receives message `m`: one of its topic's, active, and there before it.
    static let receivesSQL = "s.topic = m.topic AND s.active AND s.since_message < m.id"

    /// The id of the last message whose deliveries are written.
    static let fannedOutThroughSQL = "(SELECT through_message FROM fan_out_cursor)"

    /// The next ?1 messages not fanned out yet, oldest first (a subquery).
    static let nextUnfannedSQL = "SELECT id, topic FROM messages WHERE id > \(fannedOutThroughSQL) ORDER BY id LIMIT ?1"

    /// Whether a message with id in ?1...?2 has a subscription that receives it.
    static let anyReceiverSQL = """
        SELECT EXISTS (SELECT 1 FROM messages m JOIN subscriptions s ON \(receivesSQL) WHERE m.id BETWEEN ?1 AND ?2)
        """

    /// The active subscriptions that will receive one of the next ?1 messages not fanned out yet.
    static let receivingUnfannedSQL = "SELECT DISTINCT s.name FROM (\(nextUnfannedSQL)) m JOIN subscriptions s ON \(receivesSQL)"

    /// How many of the next ?1 messages are not fanned out yet, and the first and last of their ids.
    static let unfannedRangeSQL = "SELECT count(*), min(id), max(id) FROM (\(nextUnfannedSQL))"

    /// One delivery per message with id in ?1...?2 and per subscription that receives it, in
    /// message order (delivery ids keep each group's publishing order). bench/queue_bench.py
    /// reads this literal too.
    static let fanOutSQL = """
        INSERT INTO deliveries (message, subscription, function, group_key, visible_at_us)
        SELECT m.id, s.name, s.function, m.group_key, m.published_at_us
        FROM messages m JOIN subscriptions s ON \(receivesSQL)
        WHERE m.id BETWEEN ?1 AND ?2
        ORDER BY m.id
        """

    /// Moves the cursor to ?1, the last message fanned out (bench/queue_bench.py runs it too).
    static let advanceCursorSQL = """
        UPDATE fan_out_cursor SET through_message = ?1, highest_known_message = max(highest_known_message, ?1)
        """
}
