internal import GRDB

extension BusSchema {
    /// Migration `v10-retired-topics`: a topic the project no longer names (its queue trigger or
    /// flint.yaml entry removed, or renamed) is retired rather than kept open: a message
    /// published to it would reach no subscription, so it is refused, by every publishing path,
    /// plain INSERTs included. `Bus.register` retires and revives topics with the project.
    static func retireTopics(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE topics ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
            CREATE TRIGGER messages_topic_active BEFORE INSERT ON messages
            WHEN (SELECT active FROM topics WHERE name = NEW.topic) = 0
            BEGIN
                SELECT RAISE(ABORT, 'retired topic: nothing in the project names it any more (its queue trigger or flint.yaml entry was removed or renamed); publish to a topic the project names');
            END;
            """)
    }
}
