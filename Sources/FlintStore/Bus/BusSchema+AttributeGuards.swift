internal import GRDB

extension BusSchema {
    /// Migration `v9-message-attribute-guards`: a plain INSERT's attributes are checked as
    /// `flint publish` checks them. Without it, attributes were outside the 1 MiB limit (one INSERT
    /// made a 20 MB event), and values that are no strings were read back as no attributes at all,
    /// without a word.
    ///
    /// Only rows with attributes pay for the checks. The size is counted as `Bus.check` counts
    /// it: the body's bytes and each attribute's name and value, unescaped.
    static func guardAttributes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TRIGGER messages_attributes_are_strings AFTER INSERT ON messages
            WHEN NEW.attributes != '{}' AND (
                json_type(NEW.attributes) != 'object'
                OR EXISTS (SELECT 1 FROM json_each(NEW.attributes) WHERE type != 'text'))
            BEGIN
                SELECT RAISE(ABORT, 'messages.attributes is a JSON object of string values, as {"name": "value"}');
            END;
            CREATE TRIGGER messages_size_with_attributes AFTER INSERT ON messages
            WHEN NEW.attributes != '{}' AND length(CAST(NEW.body AS BLOB)) + (
                SELECT coalesce(sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0)
                FROM json_each(NEW.attributes)) > \(maxBodyBytes)
            BEGIN
                SELECT RAISE(ABORT, 'a message is at most \(maxBodyBytes) bytes, its body and its attributes'' names and values together');
            END;
            """)
    }
}
