/// Message ids are time-ordered UUIDs (`TimeOrderedUUID`), so that the unique index on them is
/// appended to and publishing stays fast as the table grows; this is the same layout in SQL.
enum MessageID {
    /// The same layout as SQL, for the column's default (plain INSERTs by other programs).
    static let defaultSQL = """
        lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' \
        || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' \
        || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) \
        || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
        """
}
