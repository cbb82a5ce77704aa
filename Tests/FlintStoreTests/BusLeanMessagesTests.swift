import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// Message ids stored only when chosen, derived otherwise; retention by id instead of by time.
@Suite struct BusLeanMessagesTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    @Test func aDerivedID_isAVersion7UUIDOfThePublishingMillisecond_andDiffersPerMessage() throws {
        let fixture = try BusFixture()
        let receipts = try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "a"), OutgoingMessage(topic: "orders", body: "b")], now: Self.at(0.25))
        #expect(try fixture.scalar("SELECT count(*) FROM messages WHERE message_id IS NULL") == 2)
        let ids = receipts.map(\.messageID)
        #expect(Set(ids).count == 2)
        #expect(ids.allSatisfy { $0.wholeMatch(of: BusSQLTests.uuidShape) != nil }, "\(ids)")
        // The first 48 bits are the Unix time in milliseconds, as in TimeOrderedUUID.
        let millis = Int64(Self.at(0.25).timeIntervalSince1970 * 1000)
        let hex = ids[0].replacingOccurrences(of: "-", with: "")
        #expect(Int64(hex.prefix(12), radix: 16) == millis)
        // Handlers see the same id.
        let leases = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1))
        #expect(leases.map(\.message.messageID) == ids)
    }

    @Test func aChosenID_isStored_andTwoMessagesCannotShareOne() throws {
        let fixture = try BusFixture()
        let receipt = try fixture.publishChosen("orders", id: "chosen-1")
        #expect(receipt.messageID == "chosen-1")
        #expect(try fixture.strings("SELECT message_id FROM messages") == ["chosen-1"])
        #expect(throws: BusError.self) { try fixture.publishChosen("orders", id: "chosen-1") }
    }

    @Test func aDuplicateByDedupKey_answersTheFirstMessagesID_derivedOrChosen() throws {
        let fixture = try BusFixture()
        let first = try fixture.publish("orders", "first", dedup: "k")
        #expect(try fixture.publish("orders", "again", dedup: "k") == PublishReceipt(messageID: first.messageID, duplicate: true))
    }

    @Test func prune_walksByID_andStopsAtTheFirstMessagePublishedAfterTheCutoff() throws {
        let fixture = try BusFixture()
        for (body, seconds) in [("old-1", 0.0), ("old-2", 1.0), ("new", 50.0), ("old-after-new", 2.0), ("newer", 60.0)] {
            try fixture.publish("silent", body, at: Self.at(seconds))
        }
        // In windows of two rows: the walk stops at "new", so the old message published after it waits.
        #expect(try fixture.bus.prune(before: Self.at(10), chunk: 2) == PruneResult(deliveries: 0, messages: 2))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["new", "old-after-new", "newer"])
        #expect(try fixture.bus.prune(before: Self.at(55), chunk: 2) == PruneResult(deliveries: 0, messages: 2))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["newer"])
    }

    @Test func prune_walksPastATimeNoClockGivesNow_insteadOfStoppingThere() throws {
        let fixture = try BusFixture()
        try fixture.publish("silent", "old", at: Self.at(0))
        // Nanoseconds where microseconds belong, and a date as text: neither may hold retention up.
        // Since v8-message-insert-guards an INSERT refuses both; a database written before may hold them.
        let result = try SQLiteShell.run(fixture.path, """
            DROP TRIGGER messages_published_at_in_range;
            INSERT INTO messages (topic, body, published_at_us) VALUES ('silent', 'nanoseconds', 1750000000000000000);
            INSERT INTO messages (topic, body, published_at_us) VALUES ('silent', 'text', datetime('now'));
            """)
        #expect(result.status == 0, "sqlite3 failed: \(result.error)")
        try fixture.publish("silent", "old too", at: Self.at(1))
        try fixture.publish("silent", "new", at: Date())
        try fixture.publish("silent", "old after new", at: Self.at(2))
        #expect(try fixture.bus.prune(before: Date().addingTimeInterval(-60), chunk: 2) == PruneResult(deliveries: 0, messages: 2))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["nanoseconds", "text", "new", "old after new"])
    }

    @Test func upgrading_keepsEveryIDAndDelivery_andPlainInsertsStoreNoID() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        let before: [String]
        do {
            let queue = try DatabaseQueue(path: path)
            try FlintDatabase.migrator.migrate(queue, upTo: "v5-deferred-fan-out")
            before = try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO topics (name) VALUES ('orders');
                    INSERT INTO subscriptions (name, topic, function) VALUES ('billing', 'orders', 'bill');
                    INSERT INTO messages (topic, body) VALUES ('orders', 'a'), ('orders', 'b');
                    INSERT INTO deliveries (message, subscription, function, visible_at_us) SELECT id, 'billing', 'bill', 0 FROM messages;
                    UPDATE fan_out_cursor SET through_message = 2, highest_known_message = 2;
                    """)
                return try String.fetchAll(db, sql: "SELECT message_id FROM messages ORDER BY id")
            }
        }
        let database = try FlintDatabase(path: path)
        let bus = Bus(database: database)
        #expect(before.count == 2)
        let leases = try bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60))
        #expect(leases.map(\.message.messageID) == before)
        try bus.publish([OutgoingMessage(topic: "orders", body: "c")])
        #expect(try bus.fanOut() == 1)
        let count = try database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE message_id IS NULL") ?? -1
        }
        #expect(count == 1)
        #expect(try bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60)).map(\.message.body) == ["c"])
        // The deliveries still belong to their messages: deleting one takes its deliveries along.
        try database.pool.write { db in try db.execute(sql: "DELETE FROM messages WHERE body = 'a'") }
        let left = try database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries") ?? -1 }
        #expect(left == 2)
    }
}

extension BusFixture {
    /// Publishes one message with an id of the publisher's choosing.
    @discardableResult
    func publishChosen(_ topic: String, id: String, body: String = "x") throws -> PublishReceipt {
        try #require(try bus.publish([OutgoingMessage(topic: topic, body: body, messageID: id)], now: BusFixture.t0).first)
    }
}
