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
            -- Messages up to this id have their deliveries; the trigger fanned out every one so far.
            CREATE TABLE fan_out_cursor (
                only INTEGER PRIMARY KEY CHECK (only = 1),
                through_message INTEGER NOT NULL
            );
            INSERT INTO fan_out_cursor (only, through_message) VALUES (1, coalesce((SELECT max(id) FROM messages), 0));
            -- Once the newest messages are deleted (a `DELETE FROM messages` by hand, say), SQLite
            -- gives their ids again: the cursor must not have passed a new message already.
            CREATE TRIGGER messages_keep_fan_out_cursor AFTER INSERT ON messages
            BEGIN
                UPDATE fan_out_cursor SET through_message = NEW.id - 1 WHERE through_message >= NEW.id;
            END;
            -- A subscription receives the messages published after it was created or last reactivated.
            ALTER TABLE subscriptions ADD COLUMN since_message INTEGER NOT NULL DEFAULT 0;
            """)
    }

    /// The newest message's id (0 when there is none): what a subscription created now starts after.
    static let newestMessageSQL = "(SELECT coalesce(max(id), 0) FROM messages)"
}
