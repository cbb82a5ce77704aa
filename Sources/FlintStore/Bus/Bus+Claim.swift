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
        try claim(subscription: subscription, limit: limit, byteBudget: .max, leaseFor: leaseFor, now: now).leases
    }

    /// As `claim(subscription:limit:leaseFor:now:)`, stopping before the message that would take
    /// the claim's bytes past `byteBudget` (the first is always taken), each message counting its
    /// body, its attributes and `overheadPerMessage`: a batch of large messages is leased only as
    /// far as its invocations can carry it, rather than read into memory whole. Sizes are read
    /// in order and no further than the budget, so the messages left out are not read at all.
    /// `cutShort` says that more were due than the budget allowed.
    /// `function`: the function that will run them, recorded on the deliveries (their dead
    /// letters name it), when it is not the subscription's at fan-out (a reload moved the trigger).
    public func claim(
        subscription: String, limit: Int, byteBudget: Int, overheadPerMessage: Int = 0, leaseFor: Duration, function: String? = nil,
        now: Date = Date()
    ) throws(BusError) -> (leases: [Lease], cutShort: Bool) {
        guard limit > 0 else { return ([], false) }
        // The consumer claiming looks again after a claim anyway: its commit need not wake it.
        let claimed = try database.quietWrite { db in
            try Self.claim(
                subscription: subscription, limit: limit, byteBudget: byteBudget, overheadPerMessage: overheadPerMessage,
                leaseFor: leaseFor, function: function, now: now, in: db
            )
        }
        database.heldLeases.hold(claimed.leases.map(\.token))
        return (claimed.leases, claimed.cutShort)
    }

    /// What `next` leases within the caller's transaction (the ledger writer's, or the one that
    /// publishes a bucket's events), if it is still wanted: up to its `limit`, and to the slots it
    /// takes, of the deliveries already written (fanning out is the caller's, or the consumer's,
    /// which then sees what it wrote). None when the claim fails: its savepoint is rolled back,
    /// and the slots are given back as without a claim, unless the failure ended the whole
    /// transaction or may pass (a full disk), when it is thrown, and the caller's transaction
    /// fails, as for any other write. `moreDue`: deliveries of the subscription may still be due
    /// after it (it left some, or claimed none).
    static func claim(_ next: NextClaim, at now: Date, in db: Database) throws -> (leases: [Lease], moreDue: Bool) {
        guard next.wanted() else { return ([], true) }
        let limit = next.takeSlots(next.limit)
        guard limit > 0 else { return ([], true) }
        let claimed = try db.inPreparedSavepointOrRefusal {
            try claim(
                subscription: next.subscription, limit: limit, byteBudget: .max, overheadPerMessage: 0,
                leaseFor: next.leaseFor, function: next.function, fanningOutFirst: false, now: now, in: db
            )
        }
        guard case .success(let result) = claimed else { return ([], true) }
        return (result.leases, result.moreDue)
    }

    /// The claim of `claim(subscription:limit:byteBudget:...)`, within the caller's transaction
    /// (the ledger writer's, for the slot a settled invocation hands on). The caller holds the
    /// leases once the transaction has committed (`FlintDatabase.heldLeases`). Without
    /// `fanningOutFirst`, only deliveries already written are claimable. `moreDue`: more were due
    /// than it leased.
    static func claim(
        subscription: String, limit: Int, byteBudget: Int, overheadPerMessage: Int, leaseFor: Duration, function: String?,
        fanningOutFirst: Bool = true, now: Date, in db: Database
    ) throws -> (leases: [Lease], cutShort: Bool, moreDue: Bool) {
        guard limit > 0 else { return ([], false, false) }
        let nowMicros = EpochMicros.from(now)
        let expiresAt = nowMicros + EpochMicros.from(leaseFor)
        // What was published since the last fan-out may be due too. Here rather than in a
        // transaction of its own, so a message just published costs its consumer no extra commit.
        if fanningOutFirst {
            _ = try Self.fanOut(limit: Self.fanOutBatch, in: db)
        }
        // One more than the limit: whether any is left due costs no statement of its own.
        var ids = try Int64.fetchAll(db.cachedStatement(sql: Self.claimableSQL), arguments: [subscription, nowMicros, limit &+ 1])
        guard !ids.isEmpty else { return ([], false, false) }
        var moreDue = false
        if ids.count > limit {
            ids.removeLast()
            moreDue = true
        }
        // Two statements for the whole claim, not two per delivery: GRDB builds a row (and a
        // dictionary of its column names) for each fetch, and an UPDATE ... RETURNING buffers
        // its rows in a temporary table; a claim is on every invocation's path.
        var idList = Self.jsonList(ids)
        var cutShort = false
        if byteBudget < .max, ids.count > 1 {
            // The first is taken even alone over the budget, so that a batch always moves.
            let within = max(1, try Self.countWithin(byteBudget, idList: idList, overheadPerMessage: overheadPerMessage, in: db))
            if within < ids.count {
                ids.removeSubrange(within...)
                idList = Self.jsonList(ids)
                cutShort = true
                moreDue = true
            }
        }
        try db.cachedStatement(sql: Self.leaseSQL).execute(arguments: [expiresAt, nowMicros, idList, function])
        var leased: [Int64: Lease] = [:]
        leased.reserveCapacity(ids.count)
        var orphans: [Int64] = []
        // Columns by position, in the order `leasedSQL` names them.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: Self.leasedSQL), arguments: [idList, expiresAt])
        while let row = try rows.next() {
            let id: Int64 = row[0]
            guard let message = Self.message(row, from: 5) else {
                orphans.append(id)
                continue
            }
            leased[id] = Lease(
                token: LeaseToken(deliveryID: id, epoch: row[1]),
                attempt: row[2],
                firstReceivedAt: EpochMicros.date(row[3]),
                message: message,
                previousInvocationID: row[4]
            )
        }
        // Their message was deleted by a program without foreign keys (which would have
        // deleted them too): nothing to deliver, and left leased they would hold their group.
        for orphan in orphans {
            try db.cachedStatement(sql: "DELETE FROM deliveries WHERE id = ?").execute(arguments: [orphan])
        }
        return (ids.compactMap { leased[$0] }, cutShort, moreDue)
    }

    /// How many of the deliveries in the JSON array `idList`, in order, fit in `budget` bytes
    /// (bodies, attributes and `overheadPerMessage` each), possibly none. Stops reading at the
    /// first that does not fit.
    private static func countWithin(
        _ budget: Int, idList: String, overheadPerMessage: Int, in db: Database
    ) throws -> Int {
        let sizes = try Int.fetchCursor(db.cachedStatement(sql: sizesSQL), arguments: [idList])
        var total = 0
        var count = 0
        while let size = try sizes.next() {
            total += size + overheadPerMessage
            if total > budget { break }
            count += 1
        }
        return count
    }

    /// `ids` as the JSON array the statements read with `json_each`.
    private static func jsonList(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// The bytes (body and attributes) of the message of each delivery in the JSON array ?1, in
    /// the array's order: `CROSS JOIN` keeps the array the outer loop, which `json_each` walks in
    /// order. No ORDER BY, which would sort (and so read) every row first: the rows come one by
    /// one as the cursor steps, and a message after the budget's last is never read.
    static let sizesSQL = """
        SELECT coalesce(length(CAST(m.body AS BLOB)), 0) + coalesce(length(CAST(m.attributes AS BLOB)), 0)
        FROM json_each(?1) AS j CROSS JOIN deliveries d ON d.id = j.value LEFT JOIN messages m ON m.id = d.message
        """

    /// Gives back leases no invocation took (a batch cut at the payload limit), claimed at
    /// `claimedAt`: ready again where they were, their attempt not counted, under a new epoch. A
    /// lease that is no longer current is left alone.
    public func release(_ tokens: [LeaseToken], claimedAt: Date) throws(BusError) {
        guard !tokens.isEmpty else { return }
        // Given back, or, if this fails, left for lease expiry: not held either way.
        defer { database.heldLeases.letGo(tokens) }
        let claimedMicros = EpochMicros.from(claimedAt)
        // The consumer releasing looks again anyway: its commit need not wake it.
        try database.quietWrite { db in
            let statement = try db.cachedStatement(sql: Self.releaseSQL)
            for token in tokens {
                try statement.execute(arguments: [token.deliveryID, token.epoch, claimedMicros])
            }
        }
    }

    /// Undoes `leaseSQL` for delivery ?1 leased under epoch ?2 by the claim at ?3: the first
    /// receipt it recorded is forgotten, an earlier one kept.
    static let releaseSQL = """
        UPDATE deliveries SET state = 'ready', attempt = attempt - 1, lease_epoch = lease_epoch + 1,
            lease_expires_at_us = NULL,
            first_received_at_us = CASE WHEN first_received_at_us = ?3 THEN NULL ELSE first_received_at_us END
        WHERE id = ?1 AND lease_epoch = ?2 AND state = 'leased'
        """

    /// Leases the deliveries whose ids are in the JSON array ?3 until ?1 for the function ?4
    /// (NULL: the one they name); ?2 is now. The caller found them claimable in the same transaction.
    static let leaseSQL = """
        UPDATE deliveries SET state = 'leased', attempt = attempt + 1, lease_epoch = lease_epoch + 1,
            lease_expires_at_us = ?1, first_received_at_us = coalesce(first_received_at_us, ?2), function = coalesce(?4, function)
        WHERE id IN (SELECT value FROM json_each(?3)) AND state = 'ready'
        """

    /// The deliveries of the JSON array ?1 that `leaseSQL` leased until ?2, each with its message
    /// (NULLs when the message is gone): id, lease_epoch, attempt, first_received_at_us,
    /// last_invocation_id, then the columns `message(_:from:)` reads (bench/queue_bench.py reads
    /// this literal too).
    static let leasedSQL = """
        SELECT d.id, d.lease_epoch, d.attempt, d.first_received_at_us, d.last_invocation_id,
            m.id, \(MessageID.effectiveSQL("m")), m.topic, CAST(m.body AS BLOB), m.attributes, m.dedup_key, m.group_key, m.source, m.trigger,
            m.depth, m.published_at_us
        FROM deliveries d LEFT JOIN messages m ON m.id = d.message
        WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.state = 'leased' AND d.lease_expires_at_us = ?2
        """

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

    /// The message in a row's columns from `first` on: id, message_id, topic, body, attributes,
    /// dedup_key, group_key, source, trigger, depth, published_at_us, in that order; nil when the
    /// id is NULL (no message joined).
    static func message(_ row: Row, from first: Int) -> BusMessage? {
        guard let rowID: Int64 = row[first] else { return nil }
        let source: String? = row[first + 7]
        return BusMessage(
            rowID: rowID,
            messageID: row[first + 1],
            topic: row[first + 2],
            body: StoredText.decoding(row[first + 3]),
            attributes: JSONText.attributes(row[first + 4]),
            dedupKey: row[first + 5],
            groupKey: row[first + 6],
            origin: source.flatMap(InvocationSource.init(rawValue:)).map { MessageOrigin(source: $0, trigger: row[first + 8]) },
            depth: row[first + 9],
            publishedAt: EpochMicros.date(row[first + 10])
        )
    }

    /// Which of `subscriptions` have a delivery due now (waiting behind an earlier one of its
    /// group included), or a message among the next `fanOutBatch` not fanned out yet (which
    /// `claim` fans out): one read, probing the claimable index once per subscription.
    public func dueSubscriptions(among subscriptions: [String], now: Date = Date()) throws(BusError) -> Set<String> {
        guard !subscriptions.isEmpty else { return [] }
        let nowMicros = EpochMicros.from(now)
        return try database.glance { db in
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

    /// Whether the messages of the first `limit` due deliveries of `subscription` come to
    /// `threshold` bytes (bodies, attributes and `overheadPerMessage` each): a batching window
    /// need not wait for more messages than an event can carry. Reads no message past the
    /// threshold.
    public func dueBytesReach(
        _ threshold: Int, subscription: String, limit: Int, overheadPerMessage: Int = 0, now: Date = Date()
    ) throws(BusError) -> Bool {
        let nowMicros = EpochMicros.from(now)
        return try database.read { db in
            let ids = try Int64.fetchAll(db.cachedStatement(sql: Self.claimableSQL), arguments: [subscription, nowMicros, limit])
            guard !ids.isEmpty else { return false }
            // They reach the threshold when not all of them fit in one byte less.
            let fitting = try Self.countWithin(threshold - 1, idList: Self.jsonList(ids), overheadPerMessage: overheadPerMessage, in: db)
            return fitting < ids.count
        }
    }

    /// The earliest moment when something of `subscriptions` becomes due (a retry delay ending,
    /// after `now`) or when a lease this process does not hold expires (possibly already past:
    /// the caller then expires it at once). Nil when nothing is scheduled.
    public func nextDeadline(subscriptions: [String], now: Date = Date()) throws(BusError) -> Date? {
        let nowMicros = EpochMicros.from(now)
        let held = database.heldLeases.deliveryIDList
        return try database.glance { db in
            var earliest: Int64?
            let nextVisible = try db.cachedStatement(sql: """
                SELECT min(visible_at_us) FROM deliveries WHERE state = 'ready' AND subscription = ? AND visible_at_us > ?
                """)
            for subscription in subscriptions {
                if let at = try Int64.fetchOne(nextVisible, arguments: [subscription, nowMicros]) {
                    earliest = min(earliest ?? at, at)
                }
            }
            let nextExpiry = try db.cachedStatement(sql: """
                SELECT min(lease_expires_at_us) FROM deliveries
                WHERE state = 'leased' AND id NOT IN (SELECT value FROM json_each(?))
                """)
            if let at = try Int64.fetchOne(nextExpiry, arguments: [held]) {
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
        // This process's own leases run out only if it was held up: they are not expired.
        let held = database.heldLeases.deliveryIDList
        return try database.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'ready', visible_at_us = ?, lease_epoch = lease_epoch + 1,
                        lease_expires_at_us = NULL, last_error = 'lease expired before the invocation ended'
                    WHERE state = 'leased' AND lease_expires_at_us <= ?
                        AND id NOT IN (SELECT value FROM json_each(?))
                    """,
                arguments: [nowMicros, nowMicros, held]
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
