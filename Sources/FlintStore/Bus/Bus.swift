public import FlintCore
public import Foundation
internal import GRDB

/// The durable bus: topics, messages, and one delivery per message per subscription, leased to
/// invocations, retried with backoff, and kept as dead letters after the last retry.
///
/// Every method is one transaction and blocks the calling thread; the daemon calls them from
/// its own bus thread or wraps them. Publishing also works with no daemon running.
public final class Bus: Sendable {
    let database: FlintDatabase

    public init(database: FlintDatabase) {
        self.database = database
    }

    /// Largest message body, in bytes.
    public static let maxBodyBytes = BusSchema.maxBodyBytes

    // MARK: Topology

    /// Declares the project's topics and subscriptions. With `retireOthers`, subscriptions the
    /// topology no longer names stop receiving messages (their pending deliveries stay), and
    /// topics it no longer names take none (a topic named again takes messages again). A new
    /// subscription, one moved to another topic, or one made active again receives what is
    /// published from now on. A subscription moved to another function takes its waiting
    /// deliveries along.
    /// `flint up` retires; `flint publish` only adds, so that it never disturbs a running daemon.
    public func register(_ topology: BusTopology, retireOthers: Bool) throws(BusError) {
        // Messages published while a subscription about to be retired (or moved to another
        // topic) was active are its own: their deliveries are written first, as the consumer
        // would have, rather than never (a retired subscription receives nothing more). A
        // backlog (published while the daemon was down) goes a batch per transaction, as the
        // consumer's would, so that no publisher waits for the whole of it...
        // (Only the daemon retires, one per database: what this reads holds until its write.)
        let retires = retireOthers ? try database.read { db in try Self.retiresAny(topology, in: db) } : false
        if retires {
            while try fanOut() > 0 {}
        }
        try database.write { db in
            // ... and what was published since, within the transaction that retires.
            if retires {
                while try Self.fanOut(limit: Self.fanOutBatch, in: db) > 0 {}
            }
            let upsertTopic = try db.cachedStatement(sql: """
                INSERT INTO topics (name, format) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET format = excluded.format, active = 1
                """)
            for (name, format) in topology.topics.sorted(by: { $0.key < $1.key }) {
                try upsertTopic.execute(arguments: [name, format.rawValue])
            }
            let upsertSubscription = try db.cachedStatement(sql: """
                INSERT INTO subscriptions (name, topic, function, active, since_message) VALUES (?, ?, ?, 1, \(BusSchema.newestMessageSQL))
                ON CONFLICT(name) DO UPDATE SET topic = excluded.topic, function = excluded.function, active = 1,
                    since_message = CASE WHEN active AND topic = excluded.topic THEN since_message ELSE excluded.since_message END
                """)
            // A trigger moved to another function (by the daemon's own register, at a start or a
            // reload): what waits for it runs there now, so its deliveries name that function.
            // Leased ones stay with the function running them; a claim records the function that
            // runs what it leases in any case, so dead letters name the one that ran them last.
            var functions: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, function FROM subscriptions") {
                functions[row[0]] = row[1]
            }
            let moveWaiting = try db.cachedStatement(sql: "UPDATE deliveries SET function = ? WHERE subscription = ? AND state = 'ready'")
            for subscription in topology.subscriptions {
                try upsertSubscription.execute(arguments: [subscription.name, subscription.topic, subscription.function])
                if retireOthers, let previous = functions[subscription.name], previous != subscription.function {
                    try moveWaiting.execute(arguments: [subscription.function, subscription.name])
                }
            }
            try db.execute(sql: BusSchema.coverSubscriptionsSQL)
            if retireOthers {
                let topics = Array(topology.topics.keys)
                try db.execute(
                    sql: "UPDATE topics SET active = 0 WHERE active"
                        + (topics.isEmpty ? "" : " AND name NOT IN (\(databaseQuestionMarks(count: topics.count)))"),
                    arguments: StatementArguments(topics)
                )
                let names = topology.subscriptions.map(\.name)
                try db.execute(
                    sql: "UPDATE subscriptions SET active = 0 WHERE active"
                        + (names.isEmpty ? "" : " AND name NOT IN (\(databaseQuestionMarks(count: names.count)))"),
                    arguments: StatementArguments(names)
                )
            }
        }
    }

    /// Whether registering `topology` retires an active subscription or moves one to another topic.
    private static func retiresAny(_ topology: BusTopology, in db: Database) throws -> Bool {
        let topics = Dictionary(topology.subscriptions.map { ($0.name, $0.topic) }, uniquingKeysWith: { first, _ in first })
        return try Row.fetchAll(db, sql: "SELECT name, topic FROM subscriptions WHERE active").contains { row in
            topics[row[0] as String] != row[1] as String
        }
    }

    /// Subscriptions the project no longer has (retired by `register`) with deliveries still
    /// waiting, and how many: nothing claims them until a subscription of that name is back.
    public func waitingForRetiredSubscriptions() throws(BusError) -> [(subscription: String, count: Int)] {
        try database.read { db in
            let retired = try String.fetchAll(db, sql: "SELECT name FROM subscriptions WHERE NOT active ORDER BY name")
            // Per subscription, so that each count is a range of the claimable index.
            let count = try db.cachedStatement(sql: "SELECT count(*) FROM deliveries WHERE subscription = ? AND state = 'ready'")
            return try retired.compactMap { name in
                let waiting = try Int.fetchOne(count, arguments: [name]) ?? 0
                return waiting > 0 ? (name, waiting) : nil
            }
        }
    }

    /// The declared topics (not retired) and their formats.
    public func topics() throws(BusError) -> [String: TopicFormat] {
        try database.read { db in try Self.topics(in: db) }
    }

    static func topics(in db: Database) throws -> [String: TopicFormat] {
        var topics: [String: TopicFormat] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, format FROM topics WHERE active") {
            let name: String = row["name"]
            topics[name] = TopicFormat(rawValue: row["format"]) ?? .text
        }
        return topics
    }

    // MARK: Publishing

    /// Publishes `messages` in one transaction: all are stored, or none.
    @discardableResult
    public func publish(_ messages: [OutgoingMessage], now: Date = Date()) throws(BusError) -> [PublishReceipt] {
        try database.write { db in try Self.insert(messages, at: now, in: db) }
    }

    /// `publish`, waiting without blocking the calling thread (for the daemon's request handlers).
    @discardableResult
    public func publish(_ messages: [OutgoingMessage], now: Date = Date()) async throws(BusError) -> [PublishReceipt] {
        try await database.write { db in try Self.insert(messages, at: now, in: db) }
    }

    /// What is refused before touching the database: size, and text SQLite would cut short.
    static func check(_ messages: [OutgoingMessage]) throws(BusError) {
        for message in messages {
            let bytes = message.byteCount
            guard bytes <= Self.maxBodyBytes else {
                throw .bodyTooLarge(topic: message.topic, bytes: bytes, limit: Self.maxBodyBytes)
            }
            // SQLite receives text as C strings: everything after a NUL would be lost silently
            // (and two dedup keys differing only after one would collide). SQS refuses it too.
            let fields: [(String, String?)] = [
                ("body", message.body), ("dedup key", message.dedupKey), ("group key", message.groupKey),
                ("message id", message.messageID), ("topic", message.topic),
            ]
            for (name, value) in fields where value?.utf8.contains(0) == true {
                throw .nulCharacter(topic: message.topic, field: name)
            }
            // Stored as JSON, where a NUL survives as \u0000; refused all the same, as SQS refuses
            // it in attributes, and as the other fields are.
            for (name, value) in message.attributes.sorted(by: { $0.key < $1.key })
            where name.utf8.contains(0) || value.utf8.contains(0) {
                throw .nulCharacter(topic: message.topic, field: "attribute \(String(reflecting: name))")
            }
        }
    }

    /// The schema guards' refusals (`BusSchema`, `BusSchema+RetiredTopics`; their texts, in
    /// append-only migrations, never change) that `insert` turns into `BusError`s.
    static let unknownTopicRefusal = "unknown topic:"
    static let retiredTopicRefusal = "retired topic:"
    static let notJSONRefusal = "the body is not valid JSON"

    /// The `BusError` a schema guard's refusal of `message` stands for; nil for other constraints.
    private static func refusal(_ error: DatabaseError, of message: OutgoingMessage, in db: Database) throws -> BusError? {
        let text = error.message ?? ""
        if text.hasPrefix(unknownTopicRefusal) || text.hasPrefix(retiredTopicRefusal) {
            // The statement alone was undone: the transaction can still read.
            let known = try topics(in: db).keys.filter { !$0.hasPrefix(TopicName.reservedPrefix) }.sorted()
            return .unknownTopic(message.topic, known: known)
        }
        if text.hasPrefix(notJSONRefusal) { return .notJSON(topic: message.topic) }
        return nil
    }

    /// Built once: every message published looks its statement up by this text.
    private static let insertMessageSQL = """
        INSERT INTO messages (message_id, topic, body, attributes, dedup_key, group_key, source, trigger, depth, published_at_us)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(topic, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
        RETURNING \(MessageID.effectiveSQL("messages"))
        """

    /// Inserts within the caller's transaction (every publishing path comes here, so the checks
    /// live here). Throws BusError for refused input.
    static func insert(_ messages: [OutgoingMessage], at now: Date, in db: Database) throws -> [PublishReceipt] {
        guard !messages.isEmpty else { return [] }
        try check(messages)
        let insert = try db.cachedStatement(sql: insertMessageSQL)
        let publishedAt = EpochMicros.from(now)
        var receipts: [PublishReceipt] = []
        receipts.reserveCapacity(messages.count)
        for message in messages {
            // The schema's guards judge the topic (known, not retired) and a JSON topic's body, as
            // for a plain INSERT: no statement of its own for either, on every publish.
            let inserted: String?
            do {
                // The message id is stored only when chosen: otherwise derived from the row, with no index to write.
                inserted = try String.fetchOne(insert, arguments: [
                    message.messageID, message.topic, message.body, JSONText.object(message.attributes), message.dedupKey, message.groupKey,
                    message.origin?.source.rawValue, message.origin?.trigger, message.depth, publishedAt,
                ])
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw try refusal(error, of: message, in: db) ?? error
            }
            if let inserted {
                receipts.append(PublishReceipt(messageID: inserted, duplicate: false))
            } else {
                let existing = try String.fetchOne(
                    db, sql: "SELECT \(MessageID.effectiveSQL("messages")) FROM messages WHERE topic = ? AND dedup_key = ?",
                    arguments: [message.topic, message.dedupKey]
                )
                guard let existing else {
                    // The conflict that skipped the insert was with this very row, in this transaction.
                    throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "the message with dedup key \"\(message.dedupKey ?? "")\" was not found after it refused a duplicate")
                }
                receipts.append(PublishReceipt(messageID: existing, duplicate: true))
            }
        }
        return receipts
    }
}
