internal import GRDB

extension BusSchema {
    /// Migration `v8-message-insert-guards`: refuses, at INSERT, two values a plain INSERT could
    /// write that would stop the bus.
    ///
    /// - An `id` chosen far above the newest message: SQLite gives each later message the largest
    ///   id + 1, and once that is 2^63 − 1 it picks random lower ones, which the fan-out's order
    ///   refuses, so every publish after it would fail. A jump over 2^32 is refused.
    /// - A `published_at_us` that is no whole number of microseconds up to 2200: it is when the
    ///   message becomes due, so nanoseconds or text would leave it waiting for ever. (Earlier
    ///   times only make it due at once; a machine whose clock starts at 1970 publishes them.)
    static func guardInserts(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TRIGGER messages_no_id_jump AFTER INSERT ON messages
            WHEN NEW.id > coalesce((SELECT max(id) FROM messages WHERE id < NEW.id), 0) + 4294967296
            BEGIN
                SELECT RAISE(ABORT, 'messages.id is SQLite''s to choose: leave id out of the INSERT');
            END;
            CREATE TRIGGER messages_published_at_in_range AFTER INSERT ON messages
            WHEN typeof(NEW.published_at_us) != 'integer' OR NEW.published_at_us NOT BETWEEN 0 AND \(latestPublishedMicros)
            BEGIN
                SELECT RAISE(ABORT, 'messages.published_at_us is microseconds since 1970 (before 2200): leave it out of the INSERT, it defaults to now');
            END;
            """)
    }

    /// 2200-01-01, in microseconds since 1970.
    static let latestPublishedMicros: Int64 = 7_258_118_400_000_000
}
