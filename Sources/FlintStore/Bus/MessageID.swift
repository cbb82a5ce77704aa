/// A message's id as publishers and handlers see it (SQS's `messageId`).
///
/// Stored only when the publisher chose it (an asynchronous invocation's id, `OutgoingMessage.
/// messageID`); otherwise derived from the row: a version 7 UUID whose time is the publishing
/// millisecond and whose last 62 bits are the row id. Written by no publisher, so a plain INSERT
/// writes no index entry for it; time-ordered like the chosen ones; unique among stored rows.
/// A row id comes back only after the newest messages are deleted, so the same derived id would
/// need that and the same publishing millisecond.
enum MessageID {
    /// The id of the `messages` row named `table` in the query, as SQL.
    static func effectiveSQL(_ table: String) -> String {
        "coalesce(\(table).message_id, \(derivedSQL(table)))"
    }

    /// The derived id of a row whose `message_id` is NULL.
    static func derivedSQL(_ table: String) -> String {
        """
        printf('%08x-%04x-7000-%04x-%012x', ((\(table).published_at_us / 1000) >> 16) & 4294967295, \
        (\(table).published_at_us / 1000) & 65535, 32768 | ((\(table).id >> 48) & 16383), \(table).id & 281474976710655)
        """
    }

    /// The column's default until migration `v6-lean-messages`: the same layout as
    /// `TimeOrderedUUID`, written by every plain INSERT.
    static let defaultSQL = """
        lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' \
        || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' \
        || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) \
        || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
        """
}
