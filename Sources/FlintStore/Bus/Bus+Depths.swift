internal import GRDB

/// How many deliveries of one subscription wait, run, or are dead, right now.
public struct SubscriptionDepth: Sendable, Hashable {
    public var subscription: String
    /// Ready deliveries: due now, or waiting out a retry's backoff (and published messages whose
    /// delivery is not written yet).
    public var ready: Int
    /// Leased deliveries: an invocation runs (or is about to) for each.
    public var leased: Int
    /// Dead letters kept (until replayed or discarded).
    public var dead: Int

    public init(subscription: String, ready: Int = 0, leased: Int = 0, dead: Int = 0) {
        self.subscription = subscription
        self.ready = ready
        self.leased = leased
        self.dead = dead
    }
}

extension Bus {
    /// The ready, leased and dead deliveries of every subscription that has any, by name; ready
    /// counts the messages not fanned out yet too. One read, each count from the partial index
    /// of its state, so done deliveries are never read.
    public func depths() throws(BusError) -> [String: SubscriptionDepth] {
        try database.read { db in
            var depths: [String: SubscriptionDepth] = [:]
            // The state is a literal, not a bound argument: only then can SQLite use the partial index.
            for (state, path) in [("ready", \SubscriptionDepth.ready), ("leased", \.leased), ("dead", \.dead)] {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT subscription, COUNT(*) AS count FROM deliveries WHERE state = '\(state)' GROUP BY subscription"
                )
                for row in rows {
                    let name: String = row["subscription"]
                    depths[name, default: SubscriptionDepth(subscription: name)][keyPath: path] = row["count"]
                }
            }
            // Published and not fanned out yet: each will be a ready delivery of these subscriptions.
            let unfanned = try Row.fetchAll(db, sql: """
                SELECT s.name AS subscription, COUNT(*) AS count FROM messages m
                JOIN subscriptions s ON \(Self.receivesSQL)
                WHERE m.id > \(Self.fannedOutThroughSQL)
                GROUP BY s.name
                """)
            for row in unfanned {
                let name: String = row["subscription"]
                depths[name, default: SubscriptionDepth(subscription: name)].ready += row["count"] as Int
            }
            return depths
        }
    }
}
