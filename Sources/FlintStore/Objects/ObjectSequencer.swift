internal import GRDB

/// Issues the object index's sequencers: numbers that grow with every event, across the whole
/// index, across restarts, and across a key removed and created again (S3 compares an object's
/// sequencers to order its events; Flint's grow across keys too, which is simpler and stricter).
///
/// A sequencer is the time of its event in microseconds since the epoch, or the last one issued
/// plus one when that is not larger (two events in the same microsecond, or a clock stepped
/// back). The last one issued is kept in the database, in a one-row table written in the
/// transaction that issued it, so no assumption about the clock is needed: a crash rolls it back
/// with the changes that used it, and the deletion of the newest object's row does not lose it.
/// Keeping it in memory instead would also break with two `ObjectIndex`es on one file (`flint`
/// commands and the daemon), and saves nothing measurable: one read and one write per batch.
struct ObjectSequencer {
    /// The last sequencer issued (0 before the first).
    private(set) var last: Int64
    private let now: Int64

    /// Reads the last sequencer issued; `now` is the batch's time, in epoch microseconds.
    init(in db: Database, now: Int64) throws {
        let statement = try db.cachedStatement(sql: "SELECT last_issued FROM object_sequencer WHERE id = 0")
        self.last = try Int64.fetchOne(statement) ?? 0
        self.now = now
    }

    /// The sequencer `next()` would issue, not issued yet.
    var following: Int64 { Self.next(after: last, now: now) }

    /// Issues the next sequencer (in memory; `save` stores it).
    mutating func next() -> Int64 {
        last = Self.next(after: last, now: now)
        return last
    }

    /// Stores the last sequencer issued, in the caller's transaction.
    func save(in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO object_sequencer (id, last_issued) VALUES (0, ?)
            ON CONFLICT(id) DO UPDATE SET last_issued = excluded.last_issued
            """)
        try statement.execute(arguments: [last])
    }

    static func next(after last: Int64, now: Int64) -> Int64 { max(now, last + 1) }
}
