public import FlintCore
public import Foundation

internal import GRDB

extension Bus {
    /// Leases up to `limit` deliveries of `subscription` that are due, oldest first, for
    /// `leaseFor`. A delivery with a group key is claimable only when no earlier delivery of
    /// its group is still waiting or running, so each group is handled in publishing order.
    ///
    /// Fans out first (up to `fanOutBatch` messages), so what was just published is claimable at once.
    ///
    /// Cost: a range scan of the `deliveries_claimable` partial index, so the same whether
    /// ten or a million deliveries wait.
    public func claim(subscription: String, limit: Int, leaseFor: Duration, now: Date = Date()) throws(BusError) -> [Lease] {
        guard limit > 0 else { return [] }
        let nowMicros = EpochMicros.from(now)
        let expiresAt = nowMicros + EpochMicros.from(leaseFor)
        // The consumer claiming looks again after a claim anyway: its commit need not wake it.
        return try database.quietWrite { db in
            // What was published since the last fan-out may be due too. Here rather than in a
            // transaction of its own, so a message just published costs its consumer no extra commit.
            _ = try Self.fanOut(limit: Self.fanOutBatch, in: db)
            let ids = try Int64.fetchAll(db.cachedStatement(sql: Self.claimableSQL), arguments: [subscription, nowMicros, limit])
            guard !ids.isEmpty else { return [] }
            let lease = try db.cachedStatement(sql: """
                UPDATE deliveries SET state = 'leased', attempt = attempt + 1, lease_epoch = lease_epoch + 1,
                    lease_expires_at_us = ?, first_received_at_us = coalesce(first_received_at_us, ?)
                WHERE id = ? AND state = 'ready'
                RETURNING lease_epoch, attempt, first_received_at_us, message, last_invocation_id
                """)
            // The columns `message(_:)` reads, in its order (bench/queue_bench.py reads this literal too).
            let fetchMessage = try db.cachedStatement(sql: """
                SELECT id, \(MessageID.effectiveSQL("messages")), topic, body, attributes, dedup_key, group_key, source, trigger, depth, published_at_us
                FROM messages WHERE id = ?
                """)
            var leases: [Lease] = []
            leases.reserveCapacity(ids.count)
            // Columns by position, in the order the statements name them: claiming reads every
            // leased row, and a lookup by name costs more than the value it finds.
            for id in ids {
                guard let row = try Row.fetchOne(lease, arguments: [expiresAt, nowMicros, id]) else { continue }
                guard let message = try Row.fetchOne(fetchMessage, arguments: [row[3] as Int64]).map(Self.message) else {
                    // Its message was deleted by a program without foreign keys (which would have
                    // deleted it too): nothing to deliver, and left leased it would hold its group.
                    try db.cachedStatement(sql: "DELETE FROM deliveries WHERE id = ?").execute(arguments: [id])
                    continue
                }
                leases.append(Lease(
                    token: LeaseToken(deliveryID: id, epoch: row[0]),
                    attempt: row[1],
                    firstReceivedAt: EpochMicros.date(row[2]),
                    message: message,
                    previousInvocationID: row[4]
                ))
            }
            return leases
        }
    }

    static let claimableSQL = "SELECT d.id FROM deliveries d" + claimableWhereSQL

    /// Due deliveries of subscription ?1 at time ?2, oldest first, at most ?3; a grouped one only
    /// when it heads its group.
    static let claimableWhereSQL = """

        WHERE d.state = 'ready' AND d.subscription = ?1 AND d.visible_at_us <= ?2
          AND (d.group_key IS NULL OR NOT EXISTS (
              SELECT 1 FROM deliveries e
              WHERE e.subscription = d.subscription AND e.group_key = d.group_key
                AND e.group_key IS NOT NULL AND e.state IN ('ready', 'leased') AND e.id < d.id))
        ORDER BY d.visible_at_us, d.id
        LIMIT ?3
        """

    /// A message from a row of `claim`'s message fetch: id, message_id, topic, body, attributes,
    /// dedup_key, group_key, source, trigger, depth, published_at_us, in that order.
    static func message(_ row: Row) -> BusMessage {
        let source: String? = row[7]
        return BusMessage(
            rowID: row[0],
            messageID: row[1],
            topic: row[2],
            body: row[3],
            attributes: JSONText.attributes(row[4]),
            dedupKey: row[5],
            groupKey: row[6],
            origin: source.flatMap(InvocationSource.init(rawValue:)).map { MessageOrigin(source: $0, trigger: row[8]) },
            depth: row[9],
            publishedAt: EpochMicros.date(row[10])
        )
    }

    /// Which of `subscriptions` have a delivery due now (waiting behind an earlier one of its
    /// group included), or a message among the next `fanOutBatch` not fanned out yet (which
    /// `claim` fans out): one read, probing the claimable index once per subscription.
    public func dueSubscriptions(among subscriptions: [String], now: Date = Date()) throws(BusError) -> Set<String> {
        guard !subscriptions.isEmpty else { return [] }
        let nowMicros = EpochMicros.from(now)
        return try database.read { db in
            let probe = try db.cachedStatement(sql: """
                SELECT 1 FROM deliveries WHERE state = 'ready' AND subscription = ? AND visible_at_us <= ? LIMIT 1
                """)
            var due: Set<String> = []
            for subscription in subscriptions where try Bool.fetchOne(probe, arguments: [subscription, nowMicros]) != nil {
                due.insert(subscription)
            }
            let receivingUnfanned = try String.fetchAll(db.cachedStatement(sql: Self.receivingUnfannedSQL), arguments: [Self.fanOutBatch])
            due.formUnion(receivingUnfanned.filter(subscriptions.contains))
            return due
        }
    }

    /// What a subscription could claim now (what `claim` would take), for batching windows: how
    /// many (up to `limit`) and since when the oldest of them has been due.
    public func due(subscription: String, limit: Int, now: Date = Date()) throws(BusError) -> (count: Int, oldestDueAt: Date?) {
        let nowMicros = EpochMicros.from(now)
        return try database.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT d.visible_at_us FROM deliveries d" + Self.claimableWhereSQL),
                arguments: [subscription, nowMicros, limit]
            )
            return (rows.count, rows.first.map { EpochMicros.date($0[0]) })
        }
    }

    /// The earliest moment when something of `subscriptions` becomes due (a retry delay ending,
    /// after `now`) or when any lease expires (possibly already past: the caller then expires
    /// it at once). Nil when nothing is scheduled.
    public func nextDeadline(subscriptions: [String], now: Date = Date()) throws(BusError) -> Date? {
        let nowMicros = EpochMicros.from(now)
        return try database.read { db in
            var earliest: Int64?
            let nextVisible = try db.cachedStatement(sql: """
                SELECT min(visible_at_us) FROM deliveries WHERE state = 'ready' AND subscription = ? AND visible_at_us > ?
                """)
            for subscription in subscriptions {
                if let at = try Int64.fetchOne(nextVisible, arguments: [subscription, nowMicros]) {
                    earliest = min(earliest ?? at, at)
                }
            }
            let nextExpiry = try db.cachedStatement(sql: "SELECT min(lease_expires_at_us) FROM deliveries WHERE state = 'leased'")
            if let at = try Int64.fetchOne(nextExpiry) {
                earliest = min(earliest ?? at, at)
            }
            return earliest.map(EpochMicros.date)
        }
    }

    /// Makes deliveries whose lease ran out claimable again, under a new epoch (so a late ack of
    /// the old lease is refused). Returns how many.
    @discardableResult
    public func expireLeases(now: Date = Date()) throws(BusError) -> Int {
        let nowMicros = EpochMicros.from(now)
        return try database.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'ready', visible_at_us = ?, lease_epoch = lease_epoch + 1,
                        lease_expires_at_us = NULL, last_error = 'lease expired before the invocation ended'
                    WHERE state = 'leased' AND lease_expires_at_us <= ?
                    """,
                arguments: [nowMicros, nowMicros]
            )
            return db.changesCount
        }
    }

    /// At start-up: the daemon that held the leases is gone (only one runs per project), so every
    /// leased delivery is claimable again at once. Returns how many.
    @discardableResult
    public func releaseAllLeases(now: Date = Date()) throws(BusError) -> Int {
        try database.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'ready', visible_at_us = ?, lease_epoch = lease_epoch + 1,
                        lease_expires_at_us = NULL
                    WHERE state = 'leased'
                    """,
                arguments: [EpochMicros.from(now)]
            )
            return db.changesCount
        }
    }
}
