public import FlintCore
public import Foundation
internal import GRDB

extension Bus {
    /// Applies settlements in one transaction. Returns the leases that were refused as stale:
    /// their delivery was leased again (or settled) since, so this outcome no longer counts.
    @discardableResult
    public func settle(_ settlements: [Settlement], now: Date = Date()) throws(BusError) -> [LeaseToken] {
        // Settled, or, if this fails, left for lease expiry: not held either way.
        defer { database.heldLeases.letGo(settlements.map(\.lease)) }
        return try database.write { db in try Self.settle(settlements, at: now, in: db) }
    }

    /// Within the caller's transaction (the ledger writer commits settlements with the
    /// invocations they belong to).
    static func settle(_ settlements: [Settlement], at now: Date, in db: Database) throws -> [LeaseToken] {
        guard !settlements.isEmpty else { return [] }
        let nowMicros = EpochMicros.from(now)
        let update = try db.cachedStatement(sql: """
            UPDATE deliveries SET state = ?, visible_at_us = ?, settled_at_us = ?, lease_expires_at_us = NULL,
                last_error = coalesce(?, last_error), last_invocation_id = ?, attempt = attempt - ?
            WHERE id = ? AND lease_epoch = ? AND state = 'leased'
            """)
        var stale: [LeaseToken] = []
        for settlement in settlements {
            let state: DeliveryState
            var visibleAt = nowMicros
            var error: String?
            var uncounted = 0
            switch settlement.verdict {
            case .done:
                state = .done
            case .retry(let delay, let message):
                state = .ready
                visibleAt = nowMicros + EpochMicros.from(delay)
                error = message
            case .dead(let message):
                state = .dead
                error = message
            case .interrupted(let message):
                state = .ready
                error = message
                uncounted = 1
            }
            try update.execute(arguments: [
                state.rawValue, visibleAt, nowMicros, error, settlement.invocationID, uncounted,
                settlement.lease.deliveryID, settlement.lease.epoch,
            ])
            if db.changesCount == 0 { stale.append(settlement.lease) }
        }
        return stale
    }

    /// Where the delivery of an asynchronous invocation (published with `messageID` on a
    /// function's `flint.invoke.` topic) stands; nil for any other id.
    public func status(messageID: String) throws(BusError) -> DeliveryStatus? {
        try database.read { db in
            try Self.deliveryStatus(messageID: messageID, in: db) ?? Self.unfannedStatus(messageID: messageID, in: db)
        }
    }

    private static func deliveryStatus(messageID: String, in db: Database) throws -> DeliveryStatus? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT d.state, d.function, d.attempt, d.last_invocation_id, d.last_error, d.visible_at_us
                FROM deliveries d JOIN messages m ON m.id = d.message
                WHERE m.message_id = ? AND m.topic LIKE 'flint.invoke.%' ORDER BY d.id LIMIT 1
                """,
            arguments: [messageID]
        ).map { row in
            DeliveryStatus(
                state: DeliveryState(rawValue: row["state"]) ?? .ready, function: row["function"],
                attempt: row["attempt"], lastInvocationID: row["last_invocation_id"], lastError: row["last_error"],
                visibleAt: EpochMicros.date(row["visible_at_us"])
            )
        }
    }

    /// A message published moments ago, whose delivery the consumer has not written yet: it
    /// waits, as its delivery will.
    private static func unfannedStatus(messageID: String, in db: Database) throws -> DeliveryStatus? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT s.function, m.published_at_us FROM messages m
                JOIN subscriptions s ON \(receivesSQL)
                WHERE m.message_id = ? AND m.topic LIKE 'flint.invoke.%' AND m.id > \(fannedOutThroughSQL)
                LIMIT 1
                """,
            arguments: [messageID]
        ).map { row in
            DeliveryStatus(
                state: .ready, function: row["function"], attempt: 0, lastInvocationID: nil, lastError: nil,
                visibleAt: EpochMicros.date(row["published_at_us"])
            )
        }
    }
}
