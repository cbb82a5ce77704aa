public import Foundation

extension Bus {
    /// Removes done deliveries settled before `cutoff`, then messages published before it that
    /// no delivery needs any more. Waiting, running and dead deliveries, and their messages, are
    /// kept whatever their age, and so are messages not fanned out yet that a subscription will
    /// receive. Works in short transactions so publishers are never held up long,
    /// and stops between two when `shouldContinue` says so.
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
        let messages = try database.deleteInChunks(
            """
            DELETE FROM messages WHERE id IN (
                SELECT m.id FROM messages m WHERE m.published_at_us < ?
                  AND (m.id <= (SELECT through_message FROM fan_out_cursor) OR NOT EXISTS (
                      SELECT 1 FROM subscriptions s WHERE s.topic = m.topic AND s.active AND s.since_message < m.id))
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message = m.id)
                LIMIT ?)
            """,
            arguments: [cutoffMicros], chunk: chunk, while: shouldContinue
        )
        return PruneResult(deliveries: deliveries, messages: messages)
    }
}
