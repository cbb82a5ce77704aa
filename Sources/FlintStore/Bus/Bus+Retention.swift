public import Foundation
internal import GRDB

extension Bus {
    /// Removes done deliveries settled before `cutoff`, then messages published before it that
    /// no delivery needs any more. Waiting, running and dead deliveries, and their messages, are
    /// kept whatever their age, and so are messages not fanned out yet that a subscription will
    /// receive. Works in short transactions (`chunk` rows each) so publishers are never held up
    /// long, and stops between two when `shouldContinue` says so.
    @discardableResult
    public func prune(before cutoff: Date, chunk: Int = 5_000, while shouldContinue: () -> Bool = { true }) throws(BusError) -> PruneResult {
        let cutoffMicros = EpochMicros.from(cutoff)
        let deliveries = try database.deleteInChunks(
            """
            DELETE FROM deliveries WHERE id IN (
                SELECT id FROM deliveries WHERE state = 'done' AND settled_at_us < ? LIMIT ?)
            """,
            arguments: [cutoffMicros], chunk: chunk, while: shouldContinue
        )
        let messages = try pruneMessages(before: cutoffMicros, window: chunk, while: shouldContinue)
        return PruneResult(deliveries: deliveries, messages: messages)
    }

    /// Walks messages oldest first (by id, which follows publishing), `window` rows per
    /// transaction, deleting those published before the cutoff that nothing needs any more, and
    /// stops at the first one published after it: there is no index by time to ask instead (one
    /// would cost every publishing commit). A message published with an older time after a newer
    /// one waits until the walk reaches it. A time no clock gives now (more than a day ahead, or
    /// not an integer, from a plain INSERT) does not stop the walk, or one such row would keep
    /// every later message forever.
    private func pruneMessages(before cutoffMicros: Int64, window: Int, while shouldContinue: () -> Bool) throws(BusError) -> Int {
        precondition(window > 0, "a window must hold at least one row, or the walk never moves")
        var after: Int64 = 0
        var deleted = 0
        while shouldContinue() {
            let step = try database.write { db -> (deleted: Int, last: Int64?, done: Bool) in
                let bounds = try Row.fetchOne(
                    db.cachedStatement(sql: Self.pruneWindowSQL),
                    arguments: [after, window, cutoffMicros, EpochMicros.from(Date()) + Self.plausibleAheadMicros]
                )
                guard let bounds, let last: Int64 = bounds[0] else { return (0, nil, true) }
                let count: Int = bounds[2]
                let firstNew: Int64? = bounds[1]
                try db.cachedStatement(sql: Self.pruneMessagesSQL).execute(arguments: [after, firstNew ?? last, cutoffMicros])
                return (db.changesCount, last, firstNew != nil || count < window)
            }
            deleted += step.deleted
            guard let last = step.last, !step.done else { break }
            after = last
        }
        return deleted
    }

    /// How far ahead of this host's clock a publishing time still counts as one.
    private static let plausibleAheadMicros: Int64 = 86_400_000_000

    /// Of the ?2 messages after id ?1: the last id, the first published at or after ?3 (and no
    /// later than ?4), and how many.
    private static let pruneWindowSQL = """
        SELECT max(id), min(CASE WHEN typeof(published_at_us) = 'integer' AND published_at_us BETWEEN ?3 AND ?4 THEN id END), count(*)
        FROM (SELECT id, published_at_us FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)
        """

    /// Messages with id in (?1, ?2] published before ?3 that no delivery needs, nor will: fanned
    /// out already, or received by no subscription.
    private static let pruneMessagesSQL = """
        DELETE FROM messages AS m WHERE m.id > ?1 AND m.id <= ?2 AND m.published_at_us < ?3
          AND (m.id <= \(fannedOutThroughSQL) OR NOT EXISTS (SELECT 1 FROM subscriptions s WHERE \(receivesSQL)))
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message = m.id)
        """
}
