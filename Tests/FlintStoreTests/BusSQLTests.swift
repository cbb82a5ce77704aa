import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// The schema is an interface too: other programs publish with plain SQL through the `sqlite3`
/// shell, and claiming must cost the same however many deliveries are stored.
@Suite struct BusSQLTests {
    /// A version 7 UUID: time-ordered, as SQS message ids of chosen and derived ids alike.
    static var uuidShape: Regex<Substring> { #/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/# }

    @Test func plainInsert_fromTheSQLiteShell_getsDefaults_andIsFannedOutAfterwards() throws {
        let fixture = try BusFixture()
        let before = Date()
        let result = try SQLiteShell.run(fixture.path, """
            INSERT INTO messages (topic, body) VALUES ('orders', 'x');
            SELECT \(MessageID.effectiveSQL("messages")) || ' ' || published_at_us || ' ' || attributes || ' ' || depth FROM messages;
            SELECT count(*) FROM messages WHERE message_id IS NULL;
            """)
        let after = Date()
        #expect(result.status == 0, "sqlite3 failed: \(result.error)")
        let lines = result.output.split(separator: "\n")
        try #require(lines.count == 2, "unexpected output: \(result.output)")
        // Nothing stored for the id: readers derive it from the row.
        #expect(lines[1] == "1")
        let fields = lines[0].split(separator: " ").map(String.init)
        try #require(fields.count == 4, "unexpected output: \(result.output)")
        #expect(fields[0].wholeMatch(of: Self.uuidShape) != nil, "not a lowercase version 7 UUID: \(fields[0])")
        let publishedAt = try #require(Int64(fields[1]))
        // julianday('now') has millisecond precision: allow a little on both sides.
        #expect(publishedAt >= Int64(before.timeIntervalSince1970 * 1_000_000) - 2_000)
        #expect(publishedAt <= Int64(after.timeIntervalSince1970 * 1_000_000) + 2_000)
        #expect(fields[2] == "{}")
        #expect(fields[3] == "0")

        // The publisher's commit holds the message only; the consumer writes its deliveries.
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0)
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.strings("SELECT subscription FROM deliveries ORDER BY subscription") == ["billing", "shipping"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE visible_at_us = ?", [publishedAt]) == 2)
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: after.addingTimeInterval(1)).first)
        #expect(lease.message.messageID == fields[0])
        #expect(lease.message.body == "x")
        #expect(lease.message.topic == "orders")
    }

    @Test func plainInserts_getDistinctUUIDs() throws {
        let fixture = try BusFixture()
        let inserts = String(repeating: "INSERT INTO messages (topic, body) VALUES ('silent', 'x');\n", count: 200)
        let result = try SQLiteShell.run(fixture.path, inserts + "SELECT \(MessageID.effectiveSQL("messages")) FROM messages;")
        #expect(result.status == 0, "sqlite3 failed: \(result.error)")
        let ids = result.output.split(separator: "\n").map(String.init)
        #expect(ids.count == 200)
        #expect(Set(ids).count == 200)
        #expect(ids.allSatisfy { $0.wholeMatch(of: Self.uuidShape) != nil }, "\(ids.filter { $0.wholeMatch(of: Self.uuidShape) == nil })")
    }

    @Test func plainInsert_toAnUnknownTopic_failsWithTheSchemasMessage() throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('nope', 'x');")
        #expect(result.status != 0)
        #expect(result.error.contains(
            "unknown topic: declare it under topics: in flint.yaml or name it in a queue trigger, and run flint up or flint publish once"
        ), "stderr: \(result.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0)
    }

    @Test func plainInsert_ofInvalidJSONToAJSONTopic_failsWithTheSchemasMessage() throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('events', '{oops');")
        #expect(result.status != 0)
        #expect(result.error.contains("the body is not valid JSON, and this topic is declared format: json"), "stderr: \(result.error)")
        let valid = try SQLiteShell.run(fixture.path, #"INSERT INTO messages (topic, body) VALUES ('events', '{"ok": true}');"#)
        #expect(valid.status == 0, "sqlite3 failed: \(valid.error)")
        #expect(try fixture.strings("SELECT body FROM messages") == [#"{"ok": true}"#])
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.states("audit") == ["ready"])
    }

    @Test func plainInsert_ofABlobOrAnOversizedBody_isRefusedByTheSchema() throws {
        let fixture = try BusFixture()
        let blob = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', x'00ff');")
        #expect(blob.status != 0)
        #expect(blob.error.contains("messages.body is text: bind a string, not bytes or NULL"), "stderr: \(blob.error)")
        let big = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', printf('%.*c', 1048577, 'a'));")
        #expect(big.status != 0)
        #expect(big.error.contains("a message is at most 1048576 bytes"), "stderr: \(big.error)")
        let exact = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', printf('%.*c', 1048576, 'a'));")
        #expect(exact.status == 0, "sqlite3 failed: \(exact.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 1)
    }

    /// `INSERT OR IGNORE` (what bus.md suggests with a dedup key) skips a row that breaks a
    /// column's NOT NULL or CHECK without a word; the schema's triggers refuse those rows whatever
    /// the conflict clause.
    @Test(arguments: [
        ("x'00ff'", "'{}'", "messages.body is text: bind a string, not bytes or NULL"),
        ("NULL", "'{}'", "messages.body is text: bind a string, not bytes or NULL"),
        ("printf('%.*c', 1048577, 'a')", "'{}'", "a message is at most 1048576 bytes"),
        ("'x'", "NULL", "messages.attributes is a JSON object of string values"),
        ("'x'", "'{oops'", "messages.attributes is a JSON object of string values"),
    ])
    func insertOrIgnore_ofARowTheColumnsRefuse_failsInsteadOfVanishing(body: String, attributes: String, message: String) throws {
        let fixture = try BusFixture()
        for clause in ["OR IGNORE", "OR REPLACE", ""] {
            let result = try SQLiteShell.run(
                fixture.path, "INSERT \(clause) INTO messages (topic, body, attributes, dedup_key) VALUES ('orders', \(body), \(attributes), 'k');")
            #expect(result.status != 0, "INSERT \(clause) of \(body), \(attributes) succeeded")
            #expect(result.error.contains(message), "INSERT \(clause): \(result.error)")
        }
        let published = try SQLiteShell.run(fixture.path, "INSERT OR IGNORE INTO messages (topic, body, published_at_us) VALUES ('orders', 'x', NULL);")
        #expect(published.error.contains("leave published_at_us and depth out of the INSERT"), "\(published.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
    }

    /// A dedup key already taken leaves the first message as it is, whatever the clause: `OR
    /// REPLACE` used to delete it (delivered or not), a plain INSERT failed on the unique index.
    @Test func insertingATakenDedupKey_keepsTheFirstMessage_whateverTheConflictClause() throws {
        let fixture = try BusFixture()
        let first = try fixture.publish("orders", "first", dedup: "k")
        for clause in ["OR REPLACE", "OR IGNORE", ""] {
            let result = try SQLiteShell.run(
                fixture.path, "INSERT \(clause) INTO messages (topic, body, dedup_key) VALUES ('orders', 'second', 'k'); SELECT changes();")
            #expect(result.status == 0, "INSERT \(clause): \(result.error)")
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "INSERT \(clause) stored a row")
        }
        #expect(try fixture.strings("SELECT body FROM messages") == ["first"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 2)
        #expect(try fixture.publish("orders", "third", dedup: "k") == PublishReceipt(messageID: first.messageID, duplicate: true))

        // Nor can a taken id or message id replace the message that has it.
        let firstID = try fixture.scalar("SELECT id FROM messages")
        try fixture.database.pool.write { db in try db.execute(sql: "UPDATE messages SET message_id = 'chosen' WHERE id = ?", arguments: [firstID]) }
        for column in ["id", "message_id"] {
            let value = column == "id" ? "\(firstID)" : "'chosen'"
            let result = try SQLiteShell.run(fixture.path, "INSERT OR REPLACE INTO messages (\(column), topic, body) VALUES (\(value), 'orders', 'other');")
            #expect(result.error.contains("messages.id and messages.message_id are taken by another message"), "\(column): \(result.error)")
        }
        // A bad column is refused even with a taken dedup key (the columns are judged first).
        let blob = try SQLiteShell.run(fixture.path, "INSERT OR IGNORE INTO messages (topic, body, dedup_key) VALUES ('orders', x'00', 'k');")
        #expect(blob.error.contains("messages.body is text"), "\(blob.error)")
        #expect(try fixture.strings("SELECT body FROM messages") == ["first"])

        // A retired topic refuses the message, taken key or not.
        try fixture.bus.register(BusTopology(topics: ["events": .json], subscriptions: []), retireOthers: true)
        let retired = try SQLiteShell.run(fixture.path, "INSERT OR IGNORE INTO messages (topic, body, dedup_key) VALUES ('orders', 'x', 'k');")
        #expect(retired.error.contains("retired topic"), "\(retired.error)")
    }

    /// SQLite gives NEW.id as -1 in a BEFORE trigger when it is to choose the id: a message
    /// inserted with id -1 must not make every later one look as if its id were taken.
    @Test func aMessageWithIDMinusOne_doesNotMakeLaterIDsLookTaken() throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, """
            INSERT INTO messages (id, topic, body) VALUES (-1, 'orders', 'low');
            INSERT INTO messages (topic, body) VALUES ('orders', 'next');
            """)
        #expect(result.status == 0, "\(result.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 2)
    }

    @Test func plainInsert_ofAnIDFarAboveTheNewest_isRefused_soLaterPublishesStillWork() throws {
        let fixture = try BusFixture()
        let jump = try SQLiteShell.run(fixture.path, "INSERT INTO messages (id, topic, body) VALUES (9223372036854775807, 'orders', 'x');")
        #expect(jump.status != 0)
        #expect(jump.error.contains("messages.id is SQLite's to choose: leave id out of the INSERT"), "stderr: \(jump.error)")
        let next = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'y'); SELECT max(id) FROM messages;")
        #expect(next.status == 0, "sqlite3 failed: \(next.error)")
        #expect(next.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test(arguments: ["1700000000000000000", "'yesterday'", "1.5e300", "9223372036854775807", "-1"])
    func plainInsert_ofAPublishingTimeThatIsNoMicrosecondTime_isRefused(value: String) throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body, published_at_us) VALUES ('orders', 'x', \(value));")
        #expect(result.status != 0)
        #expect(result.error.contains("messages.published_at_us is microseconds since 1970"), "stderr: \(result.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let valid = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body, published_at_us) VALUES ('orders', 'x', \(now));")
        #expect(valid.status == 0, "sqlite3 failed: \(valid.error)")
    }

    /// `flint publish` refuses a NUL; a plain INSERT can store one, and what follows it must not
    /// be lost on the way to the handler (or to the dead letters).
    @Test func plainInsert_ofABodyWithANUL_isClaimedWhole_andListedWholeOnceDead() throws {
        let fixture = try BusFixture()
        let insert = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'before' || char(0) || 'after é');")
        #expect(insert.status == 0, "sqlite3 failed: \(insert.error)")
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Date()).first)
        #expect(lease.message.body == "before\u{0}after é")
        #expect(try fixture.bus.settle([.dead(lease, error: "failed")], now: Date()).isEmpty)
        #expect(try fixture.bus.deadLetters().map(\.body) == ["before\u{0}after é"])
    }

    @Test func attributes_countTowardsTheSizeLimit() throws {
        let fixture = try BusFixture()
        let big = OutgoingMessage(topic: "orders", body: "x", attributes: ["a": String(repeating: "y", count: Bus.maxBodyBytes)])
        #expect(throws: BusError.bodyTooLarge(topic: "orders", bytes: Bus.maxBodyBytes + 2, limit: Bus.maxBodyBytes)) {
            try fixture.bus.publish([big])
        }
    }

    @Test func plainInsert_withAttributesPastTheSizeLimit_isRefused_asPublishingRefusesIt() throws {
        let fixture = try BusFixture()
        // 1,048,575 bytes of body, then a one-byte name with a one-byte value: one too many.
        let over = try SQLiteShell.run(
            fixture.path,
            "INSERT INTO messages (topic, body, attributes) VALUES ('orders', substr(hex(zeroblob(524288)), 2), '{\"a\":\"b\"}');"
        )
        #expect(over.status != 0)
        #expect(over.error.contains("a message is at most 1048576 bytes"), "stderr: \(over.error)")
        let exact = try SQLiteShell.run(
            fixture.path,
            "INSERT INTO messages (topic, body, attributes) VALUES ('orders', substr(hex(zeroblob(524288)), 3), '{\"a\":\"b\"}');"
        )
        #expect(exact.status == 0, "sqlite3 failed: \(exact.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 1)
    }

    @Test(arguments: [#"{"a":1}"#, #"[1,2]"#, #"{"a":{"b":"c"}}"#, #"{"a":null}"#, #""text""#])
    func plainInsert_withAttributesThatAreNoObjectOfStrings_isRefused(attributes: String) throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body, attributes) VALUES ('orders', 'x', '\(attributes)');")
        #expect(result.status != 0)
        #expect(result.error.contains("messages.attributes is a JSON object of string values"), "stderr: \(result.error)")
        let strings = try SQLiteShell.run(fixture.path, #"INSERT INTO messages (topic, body, attributes) VALUES ('orders', 'x', '{"a":"1"}');"#)
        #expect(strings.status == 0, "sqlite3 failed: \(strings.error)")
    }

    // MARK: Claim cost

    /// The plan SQLite (the library the daemon links) chooses for `sql`, one detail per line.
    static func plan(_ fixture: BusFixture, _ sql: String, _ arguments: StatementArguments) throws -> [String] {
        try fixture.bus.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    @Test func claimQuery_readsTheClaimableIndex_andNeverScansDeliveries() throws {
        let fixture = try BusFixture()
        // A realistic shape for the planner: many finished deliveries, a few waiting, statistics gathered.
        let fill = try SQLiteShell.run(fixture.path, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO messages (topic, body, group_key) SELECT 'orders', 'm' || i, CASE WHEN i % 3 = 0 THEN 'g' || (i % 7) END FROM n;
            """)
        #expect(fill.status == 0, "sqlite3 failed: \(fill.error)")
        #expect(try fixture.bus.fanOut(limit: 3000) == 3000)
        let settle = try SQLiteShell.run(fixture.path, """
            UPDATE deliveries SET state = 'done', settled_at_us = 1 WHERE id <= 5900;
            ANALYZE;
            """)
        #expect(settle.status == 0, "sqlite3 failed: \(settle.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE state = 'ready'") == 100)

        let plan = try Self.plan(fixture, Bus.claimableSQL, ["billing", Int64.max, 10])
        #expect(plan.contains { $0.contains("USING INDEX deliveries_claimable") }, "plan: \(plan)")
        #expect(plan.contains { $0.contains("USING INDEX deliveries_open_groups") }, "plan: \(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "plan: \(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the claim must not sort: \(plan)")

        // And the claim still works on that data: the oldest ready ones, group heads only.
        let leases = try fixture.bus.claim(subscription: "billing", limit: 100, leaseFor: .seconds(60), now: Date().addingTimeInterval(60))
        let groups = leases.compactMap(\.message.groupKey)
        #expect(Set(groups).count == groups.count, "two messages of one group were claimed together: \(groups)")
    }

    @Test func fanOutQuery_readsOnlyTheMessagesItFansOut() throws {
        let fixture = try BusFixture()
        let fanOut = try Self.plan(fixture, Bus.fanOutSQL, [1, 10])
        #expect(fanOut.contains { $0.contains("SEARCH m USING INTEGER PRIMARY KEY") }, "plan: \(fanOut)")
        #expect(fanOut.contains { $0.contains("USING INDEX subscriptions_by_topic") }, "plan: \(fanOut)")
        #expect(!fanOut.contains { $0.hasPrefix("SCAN") || $0.contains("TEMP B-TREE") }, "plan: \(fanOut)")
        let range = try Self.plan(fixture, Bus.unfannedRangeSQL, [10])
        #expect(range.contains { $0.contains("SEARCH messages USING INTEGER PRIMARY KEY (rowid>?)") }, "plan: \(range)")
    }

    @Test func dueQuery_andLeaseExpiry_useTheirPartialIndexes() throws {
        let fixture = try BusFixture()
        // Copied from Bus.due(subscription:limit:now:), which keeps its SQL inline: keep the two alike.
        let due = try Self.plan(fixture, """
            SELECT visible_at_us FROM deliveries
            WHERE state = 'ready' AND subscription = ? AND visible_at_us <= ?
            ORDER BY visible_at_us, id LIMIT ?
            """, ["billing", 0, 10])
        #expect(due.contains { $0.contains("USING INDEX deliveries_claimable") }, "plan: \(due)")
        let expiry = try Self.plan(fixture, "SELECT min(lease_expires_at_us) FROM deliveries WHERE state = 'leased'", [])
        #expect(expiry.contains { $0.contains("deliveries_leased") }, "plan: \(expiry)")
    }
}
