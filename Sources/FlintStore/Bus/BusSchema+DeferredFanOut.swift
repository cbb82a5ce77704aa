internal import GRDB

extension BusSchema {
    /// Migration `v5-deferred-fan-out`: a message's deliveries are written after its commit, by
    /// `Bus.fanOut`, instead of by a trigger inside the publisher's transaction.
    ///
    /// The trigger wrote a delivery row and its index entries in every publishing commit, which
    /// halved how many single-message commits SQLite makes per second. Now a publisher writes the
    /// message row only; the daemon fans out what was published since `fan_out_cursor` in
    /// batches, many messages per commit. Messages are fanned out in `id` order (SQLite gives a
    /// new row the largest id + 1, so ids follow commit order), each to the subscriptions active
    /// at that moment that existed before it (`since_message`).
    static func deferFanOut(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER messages_fan_out;
            CREATE TABLE fan_out_cursor (
                only INTEGER PRIMARY KEY CHECK (only = 1),
                -- Messages up to this id have their deliveries; the old trigger fanned out every one so far.
                through_message INTEGER NOT NULL,
                -- At least through_message and every subscription's since_message: any id up to it
                -- has been counted on as taken.
                highest_known_message INTEGER NOT NULL
            );
            INSERT INTO fan_out_cursor (only, through_message, highest_known_message)
            VALUES (1, coalesce((SELECT max(id) FROM messages), 0), coalesce((SELECT max(id) FROM messages), 0));
            -- A subscription receives the messages published after it was created or last reactivated.
            ALTER TABLE subscriptions ADD COLUMN since_message INTEGER NOT NULL DEFAULT 0;
            \(keepFanOutOrderTriggerSQL)
            """)
    }

    /// Shared with `v6-lean-messages`, which recreates the table: a change here is a new migration.
    static let keepFanOutOrderTriggerSQL = """
        -- SQLite gives a new message the largest id + 1, so ids come back once the newest
        -- messages are deleted (by retention, or by hand): the cursor and the subscriptions must
        -- then count from before the new message, or it would be skipped, and deliveries left
        -- behind by a delete without foreign keys (the sqlite3 shell's default) must not come
        -- to name it. An id chosen by the INSERT itself, below a message already stored, would
        -- be out of the fan-out's order: refused.
        CREATE TRIGGER messages_keep_fan_out_order AFTER INSERT ON messages
        WHEN NEW.id <= (SELECT highest_known_message FROM fan_out_cursor)
            OR EXISTS (SELECT 1 FROM messages WHERE id > NEW.id)
        BEGIN
            SELECT RAISE(ABORT, 'messages.id is SQLite''s to choose: leave id out of the INSERT')
            WHERE EXISTS (SELECT 1 FROM messages WHERE id > NEW.id);
            DELETE FROM deliveries WHERE message >= NEW.id;
            UPDATE fan_out_cursor SET through_message = min(through_message, NEW.id - 1), highest_known_message = NEW.id - 1;
            UPDATE subscriptions SET since_message = NEW.id - 1 WHERE since_message >= NEW.id;
        END;
        """

    /// The newest message's id (0 when there is none): what a subscription created now starts after.
    static let newestMessageSQL = "(SELECT coalesce(max(id), 0) FROM messages)"

    /// Keeps `highest_known_message` at or above every `since_message`, after `register`.
    static let coverSubscriptionsSQL = """
        UPDATE fan_out_cursor SET highest_known_message = max(highest_known_message, (SELECT coalesce(max(since_message), 0) FROM subscriptions))
        """
}
