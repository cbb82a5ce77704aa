internal import GRDB

extension BusSchema {
    /// Migration `v6-lean-messages`: a message row with one index entry per commit, not three.
    ///
    /// The unique index on `message_id` (a 36-character text key, filled by a default every
    /// plain INSERT evaluated) and `messages_by_time` cost a single-message commit half its
    /// rate. Now `message_id` is stored only when the publisher chose it (its unique index is
    /// partial), and readers derive the others from the row (`MessageID.effectiveSQL`); retention
    /// walks messages in id order instead of by time (`Bus.prune`). SQLite cannot drop a column's
    /// UNIQUE or DEFAULT, so the table is rebuilt: GRDB runs migrations with foreign keys off,
    /// and the deliveries' reference follows the renamed table. Ids already given are kept. On a
    /// large bus this copies every message once, in the first start's transaction.
    static func leanMessages(_ db: Database) throws {
        try db.execute(sql: """
            -- What a delete without foreign keys (the sqlite3 shell's default) left behind: the
            -- check of every foreign key that GRDB runs before this migration commits would
            -- refuse it. Orphaned deliveries and log tails name nothing; a topic is put back.
            DELETE FROM deliveries WHERE message NOT IN (SELECT id FROM messages);
            DELETE FROM invocation_logs WHERE invocation_id NOT IN (SELECT id FROM invocations);
            INSERT OR IGNORE INTO topics (name) SELECT DISTINCT topic FROM subscriptions WHERE topic NOT IN (SELECT name FROM topics);
            CREATE TABLE messages_lean (
                id INTEGER PRIMARY KEY,
                message_id TEXT,
                topic TEXT NOT NULL,
                body TEXT NOT NULL CHECK (typeof(body) = 'text' AND length(CAST(body AS BLOB)) <= \(maxBodyBytes)),
                attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
                dedup_key TEXT,
                group_key TEXT,
                source TEXT,
                trigger TEXT,
                depth INTEGER NOT NULL DEFAULT 0,
                published_at_us INTEGER NOT NULL DEFAULT (\(nowMicrosSQL))
            );
            INSERT INTO messages_lean (id, message_id, topic, body, attributes, dedup_key, group_key, source, trigger, depth, published_at_us)
            SELECT id, message_id, topic, body, attributes, dedup_key, group_key, source, trigger, depth, published_at_us FROM messages;
            DROP TABLE messages;
            ALTER TABLE messages_lean RENAME TO messages;
            CREATE UNIQUE INDEX messages_chosen_id ON messages(message_id) WHERE message_id IS NOT NULL;
            CREATE UNIQUE INDEX messages_dedup ON messages(topic, dedup_key) WHERE dedup_key IS NOT NULL;
            \(checkTriggerSQL)
            \(keepFanOutOrderTriggerSQL)
            """)
    }
}
