internal import FlintCore
internal import GRDB

/// The bus's tables, as migration `v2-bus` creates them (`v5-deferred-fan-out` then replaces its
/// fan-out trigger, see `deferFanOut`).
///
/// The schema checks what it is given so that any program can publish with a plain INSERT: a
/// trigger refuses messages for unknown topics (and non-JSON bodies on JSON topics).
enum BusSchema {
    /// Largest message body, in bytes (with its attributes).
    static let maxBodyBytes = OutgoingMessage.maxBytes

    /// `now` in microseconds since the epoch, as SQL (for defaults written by other programs).
    static let nowMicrosSQL = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"

    /// Refuses a message for an unknown topic, or a non-JSON body on a JSON topic. Shared with
    /// `v6-lean-messages`, which recreates the table: a change here is a new migration.
    static let checkTriggerSQL = """
        CREATE TRIGGER messages_check BEFORE INSERT ON messages
        BEGIN
            SELECT RAISE(ABORT, 'unknown topic: declare it under topics: in flint.yaml or name it in a queue trigger, and run flint up or flint publish once')
            WHERE NOT EXISTS (SELECT 1 FROM topics WHERE name = NEW.topic);
            SELECT RAISE(ABORT, 'the body is not valid JSON, and this topic is declared format: json')
            WHERE json_valid(NEW.body) = 0 AND (SELECT format FROM topics WHERE name = NEW.topic) = 'json';
        END;
        """

    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE topics (
                name TEXT PRIMARY KEY NOT NULL,
                format TEXT NOT NULL DEFAULT 'text' CHECK (format IN ('text', 'json'))
            );
            CREATE TABLE subscriptions (
                name TEXT PRIMARY KEY NOT NULL,
                topic TEXT NOT NULL REFERENCES topics(name),
                function TEXT NOT NULL,
                active INTEGER NOT NULL DEFAULT 1
            );
            CREATE INDEX subscriptions_by_topic ON subscriptions(topic) WHERE active;

            CREATE TABLE messages (
                id INTEGER PRIMARY KEY,
                message_id TEXT NOT NULL UNIQUE DEFAULT (\(MessageID.defaultSQL)),
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
            CREATE UNIQUE INDEX messages_dedup ON messages(topic, dedup_key) WHERE dedup_key IS NOT NULL;
            CREATE INDEX messages_by_time ON messages(published_at_us);

            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                subscription TEXT NOT NULL,
                function TEXT NOT NULL,
                group_key TEXT,
                state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'leased', 'done', 'dead')),
                attempt INTEGER NOT NULL DEFAULT 0,
                visible_at_us INTEGER NOT NULL,
                lease_epoch INTEGER NOT NULL DEFAULT 0,
                lease_expires_at_us INTEGER,
                first_received_at_us INTEGER,
                settled_at_us INTEGER,
                last_error TEXT,
                last_invocation_id TEXT
            );
            -- Claiming reads only this index: its size is what is claimable, not what is stored.
            CREATE INDEX deliveries_claimable ON deliveries(subscription, visible_at_us, id) WHERE state = 'ready';
            CREATE INDEX deliveries_leased ON deliveries(lease_expires_at_us) WHERE state = 'leased';
            CREATE INDEX deliveries_open_groups ON deliveries(subscription, group_key, id)
                WHERE group_key IS NOT NULL AND state IN ('ready', 'leased');
            CREATE INDEX deliveries_dead ON deliveries(function, settled_at_us) WHERE state = 'dead';
            CREATE INDEX deliveries_done ON deliveries(settled_at_us) WHERE state = 'done';
            CREATE INDEX deliveries_by_message ON deliveries(message);

            \(checkTriggerSQL)
            CREATE TRIGGER messages_fan_out AFTER INSERT ON messages
            BEGIN
                INSERT INTO deliveries (message, subscription, function, group_key, visible_at_us)
                SELECT NEW.id, s.name, s.function, NEW.group_key, NEW.published_at_us
                FROM subscriptions s WHERE s.topic = NEW.topic AND s.active;
            END;

            CREATE TABLE schedule_ticks (
                trigger TEXT PRIMARY KEY NOT NULL,
                last_tick_at_us INTEGER NOT NULL
            );
            """)
    }
}
