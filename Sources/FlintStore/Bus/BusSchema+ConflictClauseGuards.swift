internal import GRDB

extension BusSchema {
    /// Migration `v11-conflict-clause-guards`: a plain INSERT with a conflict clause (`INSERT OR
    /// IGNORE`, `OR REPLACE`) can no longer lose a message without a word.
    ///
    /// - `OR IGNORE` skips a row that breaks a column's NOT NULL or CHECK instead of failing: a
    ///   body of bytes (the sqlite3 shell's `readfile`, Python's `bytes`), over 1 MiB or NULL, or
    ///   attributes that are no JSON, vanished with a success. A trigger is not skipped: the same
    ///   rows are now refused with a message saying what to do.
    /// - `OR REPLACE` with a dedup key already used deleted the earlier message, delivered or not.
    ///   A message whose dedup key is taken is now ignored whatever the clause, as `INSERT OR
    ///   IGNORE` and `flint publish --dedup` always did; a plain INSERT of one succeeds with no row
    ///   (`changes()` is 0) instead of failing on the unique index.
    /// - `OR REPLACE` with a taken `id` or `message_id` (Flint's own choice, for asynchronous
    ///   invocations) deleted the message that had it too: such an INSERT is refused.
    static func guardConflictClauses(_ db: Database) throws {
        // NEW.id is -1 in a BEFORE trigger when SQLite is to choose it, which an explicit id of
        // -1 must not make look taken for every later message.
        // SQLite runs the newest trigger first: the columns are judged before a taken dedup key
        // ignores the row, then ids are checked, and the older guards (topic known and not
        // retired) come last; a retired topic's taken key is left to them.
        try db.execute(sql: """
            CREATE TRIGGER messages_ids_free BEFORE INSERT ON messages
            WHEN (NEW.id != -1 AND EXISTS (SELECT 1 FROM messages WHERE id = NEW.id))
                OR (NEW.message_id IS NOT NULL AND EXISTS (SELECT 1 FROM messages WHERE message_id = NEW.message_id))
            BEGIN
                SELECT RAISE(ABORT, 'messages.id and messages.message_id are taken by another message: leave them out of the INSERT (SQLite and Flint choose them)');
            END;
            CREATE TRIGGER messages_dedup_key_taken BEFORE INSERT ON messages
            WHEN NEW.dedup_key IS NOT NULL
                AND EXISTS (SELECT 1 FROM messages WHERE topic = NEW.topic AND dedup_key = NEW.dedup_key)
                AND (SELECT active FROM topics WHERE name = NEW.topic)
            BEGIN
                SELECT RAISE(IGNORE);
            END;
            CREATE TRIGGER messages_columns_hold BEFORE INSERT ON messages
            WHEN NEW.body IS NULL OR typeof(NEW.body) != 'text' OR length(CAST(NEW.body AS BLOB)) > \(maxBodyBytes)
                OR NEW.attributes IS NULL OR json_valid(NEW.attributes) = 0
                OR NEW.published_at_us IS NULL OR NEW.depth IS NULL
            BEGIN
                SELECT RAISE(ABORT, 'messages.body is text: bind a string, not bytes or NULL (in the sqlite3 shell, CAST(readfile(''file'') AS TEXT))')
                WHERE NEW.body IS NULL OR typeof(NEW.body) != 'text';
                SELECT RAISE(ABORT, 'a message is at most \(maxBodyBytes) bytes: send a larger payload by reference (a path or URL)')
                WHERE length(CAST(NEW.body AS BLOB)) > \(maxBodyBytes);
                SELECT RAISE(ABORT, 'messages.attributes is a JSON object of string values, as {"name": "value"}; leave it out for none')
                WHERE NEW.attributes IS NULL OR json_valid(NEW.attributes) = 0;
                SELECT RAISE(ABORT, 'leave published_at_us and depth out of the INSERT: they default to now and 0');
            END;
            """)
    }
}
