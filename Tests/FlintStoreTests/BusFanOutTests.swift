import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// Publishing writes the message; `Bus.fanOut` writes its deliveries afterwards, in batches.
@Suite struct BusFanOutTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    static func publish(_ fixture: BusFixture, _ topic: String, _ bodies: [String], group: String? = nil) throws {
        try fixture.bus.publish(bodies.map { OutgoingMessage(topic: topic, body: $0, groupKey: group) }, now: at(0))
    }

    @Test func fanOut_writesOneDeliveryPerActiveSubscription_once() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["a"])
        try Self.publish(fixture, "silent", ["b"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0)
        #expect(try fixture.bus.fanOut() == 2)
        #expect(try fixture.strings("SELECT subscription FROM deliveries ORDER BY subscription") == ["billing", "shipping"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE visible_at_us = ?", [EpochMicros.from(Self.at(0))]) == 2)
        #expect(try fixture.bus.fanOut() == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 2)
    }

    @Test func messagesNobodyReceives_moveTheCursorOnlyOnceABatchHasGathered() throws {
        let fixture = try BusFixture()
        let cursor = { try fixture.scalar("SELECT through_message FROM fan_out_cursor") }
        try Self.publish(fixture, "silent", ["1", "2", "3"])
        // Nothing to write yet: no commit that a publisher would wait behind.
        #expect(try fixture.bus.fanOut(limit: 4) == 0)
        #expect(try cursor() == 0)
        try Self.publish(fixture, "silent", ["4", "5"])
        #expect(try fixture.bus.fanOut(limit: 4) == 4)
        #expect(try cursor() == 4)
        #expect(try fixture.bus.fanOut(limit: 4) == 0)
        // A message with a receiver takes the ones before it along.
        try Self.publish(fixture, "orders", ["6"])
        #expect(try fixture.bus.fanOut(limit: 4) == 2)
        #expect(try cursor() == 6)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 2)
        #expect(try fixture.bus.dueSubscriptions(among: ["billing", "shipping", "audit"], now: Self.at(1)) == ["billing", "shipping"])
    }

    @Test func fanOut_inBatches_keepsPublishingOrder_soGroupsStayInOrder() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["g1", "g2", "g3", "g4", "g5"], group: "g")
        #expect(try fixture.bus.fanOut(limit: 2) == 2)
        #expect(try fixture.bus.fanOut(limit: 2) == 2)
        #expect(try fixture.bus.fanOut(limit: 2) == 1)
        #expect(try fixture.bus.fanOut(limit: 2) == 0)
        #expect(try fixture.strings("""
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.subscription = 'billing' ORDER BY d.id
            """) == ["g1", "g2", "g3", "g4", "g5"])
        for expected in ["g1", "g2", "g3", "g4", "g5"] {
            let leases = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1))
            #expect(leases.map(\.message.body) == [expected])
            try fixture.bus.settle(leases.map { .done($0) }, now: Self.at(1))
        }
    }

    @Test func claim_fansOutFirst_soAPublishedMessageIsClaimableAtOnce() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["a"])
        let leases = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1))
        #expect(leases.map(\.message.body) == ["a"])
        #expect(try fixture.states("shipping") == ["ready"])
    }

    @Test func dueSubscriptions_namesTheReceiversOfMessagesNotFannedOutYet() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "events", ["{}"])
        try Self.publish(fixture, "silent", ["x"])
        let all = ["billing", "shipping", "audit", "flint.invoke.echo"]
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(1)) == ["audit"])
        #expect(try fixture.bus.dueSubscriptions(among: ["billing"], now: Self.at(1)) == [])
        // Claiming fans out first, so what `dueSubscriptions` promised is there to claim.
        let leases = try fixture.bus.claim(subscription: "audit", limit: 10, leaseFor: .seconds(60), now: Self.at(1))
        #expect(leases.map(\.message.body) == ["{}"])
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(1)) == [])
    }

    @Test func aSubscriptionCreatedAfterAMessage_doesNotReceiveIt_evenBeforeItIsFannedOut() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["before"])
        var topology = BusFixture.orders
        topology.subscriptions.append(.init(name: "late", topic: "orders", function: "late"))
        try fixture.bus.register(topology, retireOthers: true)
        try Self.publish(fixture, "orders", ["after"])
        #expect(try fixture.bus.fanOut() == 2)
        #expect(try fixture.strings("""
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.subscription = 'late'
            """) == ["after"])
        #expect(try fixture.states("billing") == ["ready", "ready"])
    }

    @Test func aRetiredSubscription_keepsWhatWasPublishedWhileActive_receivesNothingWhileRetired_andOnceActiveAgainWhatFollows() throws {
        let fixture = try BusFixture()
        var withoutShipping = BusFixture.orders
        withoutShipping.subscriptions.removeAll { $0.name == "shipping" }
        try Self.publish(fixture, "orders", ["published while active, not fanned out yet"])
        try fixture.bus.register(withoutShipping, retireOthers: true)  // fans it out first
        try Self.publish(fixture, "orders", ["published while retired"])
        try fixture.bus.register(BusFixture.orders, retireOthers: true)
        try Self.publish(fixture, "orders", ["published once active again"])
        #expect(try fixture.bus.fanOut() == 2)
        #expect(try fixture.strings("""
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.subscription = 'shipping'
            """) == ["published while active, not fanned out yet", "published once active again"])
        #expect(try fixture.states("billing") == ["ready", "ready", "ready"])
    }

    @Test func aSubscriptionMovedToAnotherTopic_receivesThatTopicsMessagesFromThen() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "silent", ["before the move"])
        var moved = BusFixture.orders
        moved.subscriptions = moved.subscriptions.map { $0.name == "shipping" ? .init(name: "shipping", topic: "silent", function: "ship") : $0 }
        try fixture.bus.register(moved, retireOthers: true)
        try Self.publish(fixture, "silent", ["after the move"])
        try Self.publish(fixture, "orders", ["orders after the move"])
        #expect(try fixture.bus.fanOut() == 3)
        #expect(try fixture.strings("""
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.subscription = 'shipping'
            """) == ["after the move"])
    }

    /// A trigger moved to another function (a reload): what waits runs there, so its deliveries
    /// and the dead letters they become name that function; a leased one stays with the one
    /// running it.
    @Test func aSubscriptionMovedToAnotherFunction_takesItsWaitingDeliveriesAlong() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["leased", "waiting"])
        #expect(try fixture.bus.fanOut() == 2)
        let leased = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(1))
        #expect(leased.map(\.message.body) == ["leased"])
        var moved = BusFixture.orders
        moved.subscriptions = moved.subscriptions.map { $0.name == "billing" ? .init(name: "billing", topic: "orders", function: "invoice") : $0 }
        try fixture.bus.register(moved, retireOthers: true)
        #expect(try fixture.strings("""
            SELECT m.body || ' ' || d.function FROM deliveries d JOIN messages m ON m.id = d.message
            WHERE d.subscription = 'billing' ORDER BY d.id
            """) == ["leased bill", "waiting invoice"])
        #expect(try fixture.strings("SELECT DISTINCT function FROM deliveries WHERE subscription = 'shipping'") == ["ship"])

        // The leased one, retried, is claimed again by the function now running the trigger:
        // its record (and a dead letter it becomes) names that one.
        try fixture.bus.releaseAllLeases(now: Self.at(2))
        let again = try fixture.bus.claim(
            subscription: "billing", limit: 10, byteBudget: .max, leaseFor: .seconds(60), function: "invoice", now: Self.at(3))
        #expect(Set(again.leases.map(\.message.body)) == ["leased", "waiting"])
        #expect(try fixture.strings("SELECT DISTINCT function FROM deliveries WHERE subscription = 'billing'") == ["invoice"])
    }

    @Test func deletingTheNewestMessagesByHand_thenPublishing_stillFansOut() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["a", "b"])
        #expect(try fixture.bus.fanOut() == 2)
        // SQLite gives the next message id 1 again: behind the cursor, which must move back.
        let result = try SQLiteShell.run(fixture.path, """
            DELETE FROM deliveries; DELETE FROM messages;
            INSERT INTO messages (topic, body) VALUES ('orders', 'again');
            """)
        #expect(result.status == 0, "sqlite3 failed: \(result.error)")
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.strings("""
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.subscription = 'billing'
            """) == ["again"])
    }

    @Test func aSubscriptionCreatedLater_stillReceivesAMessageThatReusesAnIDOnceEveryMessageIsGone() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["1", "2", "3"])
        var topology = BusFixture.orders
        topology.subscriptions.append(.init(name: "late", topic: "orders", function: "late"))
        try fixture.bus.register(topology, retireOthers: true)  // starts after message 3
        #expect(try fixture.bus.fanOut() == 3)
        for subscription in ["billing", "shipping"] {
            let leases = try fixture.bus.claim(subscription: subscription, limit: 10, leaseFor: .seconds(60), now: Self.at(1))
            try fixture.bus.settle(leases.map { .done($0) }, now: Self.at(1))
        }
        #expect(try fixture.bus.prune(before: Self.at(2)) == PruneResult(deliveries: 6, messages: 3))
        // SQLite gives the next message id 1 again: after "late" was created all the same.
        try Self.publish(fixture, "orders", ["after everything was pruned"])
        #expect(try fixture.scalar("SELECT max(id) FROM messages") == 1)
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.states("late") == ["ready"])
        #expect(try fixture.states("billing") == ["ready"])
    }

    @Test func anIDChosenByTheInsert_belowAStoredMessage_isRefused_aboveItIsFannedOut() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["1", "2", "3"])
        #expect(try fixture.bus.fanOut() == 3)
        let refused = try SQLiteShell.run(fixture.path, """
            DELETE FROM deliveries WHERE message = 2; DELETE FROM messages WHERE id = 2;
            INSERT INTO messages (id, topic, body) VALUES (2, 'orders', 'copied back');
            """)
        #expect(refused.status != 0)
        #expect(refused.error.contains("messages.id is SQLite's to choose: leave id out of the INSERT"), "stderr: \(refused.error)")
        let above = try SQLiteShell.run(fixture.path, "INSERT INTO messages (id, topic, body) VALUES (10, 'orders', 'ten');")
        #expect(above.status == 0, "sqlite3 failed: \(above.error)")
        #expect(try fixture.bus.fanOut() == 1)
        // Nothing fanned out twice.
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing'") == 3)
    }

    @Test func anIDChosenByTheInsert_belowOneNotFannedOutYet_isRefusedToo() throws {
        let fixture = try BusFixture()
        let result = try SQLiteShell.run(fixture.path, """
            INSERT INTO messages (id, topic, body) VALUES (10, 'orders', 'ten');
            INSERT INTO messages (id, topic, body) VALUES (5, 'orders', 'five');
            """)
        #expect(result.status != 0)
        #expect(result.error.contains("leave id out of the INSERT"), "stderr: \(result.error)")
        #expect(try fixture.strings("SELECT body FROM messages") == ["ten"])
    }

    @Test func messagesDeletedWithoutForeignKeys_leaveNoDeliveryForTheNextMessagesWithTheirIDs() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["old order"])
        try Self.publish(fixture, "events", ["{}"])
        #expect(try fixture.bus.fanOut() == 2)
        // The sqlite3 shell runs without foreign keys: the deliveries stay behind.
        let deleted = try SQLiteShell.run(fixture.path, "DELETE FROM messages;")
        #expect(deleted.status == 0, "sqlite3 failed: \(deleted.error)")
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 3)
        // Ids 1 and 2 again, on the other topics' way round.
        try Self.publish(fixture, "events", ["{\"new\": 1}"])
        try Self.publish(fixture, "orders", ["new order"])
        #expect(try fixture.bus.fanOut() == 2)
        #expect(try fixture.strings("""
            SELECT d.subscription || ':' || m.body FROM deliveries d JOIN messages m ON m.id = d.message ORDER BY d.subscription
            """) == ["audit:{\"new\": 1}", "billing:new order", "shipping:new order"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 3)
    }

    @Test func aDeliveryWhoseMessageIsGone_isDropped_andNoLongerHoldsItsGroup() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["g1", "g2"], group: "g")
        #expect(try fixture.bus.fanOut() == 2)
        let deleted = try SQLiteShell.run(fixture.path, "DELETE FROM messages WHERE body = 'g1';")
        #expect(deleted.status == 0, "sqlite3 failed: \(deleted.error)")
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1)).isEmpty)
        let next = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1))
        #expect(next.map(\.message.body) == ["g2"])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE subscription = 'billing'") == 1)
    }

    @Test func depths_countMessagesNotFannedOutYetAsReady() throws {
        let fixture = try BusFixture()
        try Self.publish(fixture, "orders", ["a", "b"])
        try Self.publish(fixture, "silent", ["c"])
        let before = try fixture.bus.depths()
        #expect(before["billing"] == SubscriptionDepth(subscription: "billing", ready: 2))
        #expect(before["shipping"] == SubscriptionDepth(subscription: "shipping", ready: 2))
        try fixture.bus.fanOut()
        #expect(try fixture.bus.depths() == before)
    }

    @Test func upgrading_aDatabaseWhoseTriggerFannedOutAlready_fansNothingOutTwice() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try FlintDatabase.migrator.migrate(queue, upTo: "v4-invocation-init")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO topics (name) VALUES ('orders');
                    INSERT INTO subscriptions (name, topic, function) VALUES ('billing', 'orders', 'bill');
                    INSERT INTO messages (topic, body) VALUES ('orders', 'fanned out by the old trigger');
                    """)
            }
        }
        let bus = Bus(database: try FlintDatabase(path: path))
        #expect(try bus.fanOut() == 0)
        let leases = try bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60))
        #expect(leases.map(\.message.body) == ["fanned out by the old trigger"])
        try bus.publish([OutgoingMessage(topic: "orders", body: "new")])
        #expect(try bus.fanOut() == 1)
        #expect(try bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60)).map(\.message.body) == ["new"])
    }
}
