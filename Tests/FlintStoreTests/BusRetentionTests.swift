import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct BusRetentionTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    /// Leases `subscription`'s delivery of `body` and settles it with `verdict`, at `at(seconds)`.
    static func settle(_ fixture: BusFixture, _ subscription: String, _ body: String, at seconds: Double, _ verdict: (Lease) -> Settlement) throws {
        let claimed = try fixture.bus.claim(subscription: subscription, limit: 100, leaseFor: .seconds(600), now: at(seconds))
        let lease = try #require(claimed.first { $0.message.body == body })
        let others = claimed.filter { $0 != lease }
        // Give the others back: a retry with no delay keeps them ready (their attempt counts do not matter here).
        #expect(try fixture.bus.settle([verdict(lease)] + others.map { .retry($0, after: .zero) }, now: at(seconds)).isEmpty)
    }

    @Test func prune_removesOldDoneDeliveriesAndUnneededMessages_keepsEverythingElse() throws {
        let fixture = try BusFixture()
        for body in ["A", "B", "C", "D"] { try fixture.publish("orders", body, at: Self.at(0)) }
        try fixture.publish("silent", "E", at: Self.at(0))
        try fixture.publish("silent", "F", at: Self.at(25))
        try fixture.publish("orders", "G", at: Self.at(25))  // ready, published after the cutoff

        // A: both done before the cutoff. B: billing done, shipping still ready.
        try Self.settle(fixture, "billing", "A", at: 10) { .done($0) }
        try Self.settle(fixture, "shipping", "A", at: 10) { .done($0) }
        try Self.settle(fixture, "billing", "B", at: 10) { .done($0) }
        // C: shipping dead, billing leased (C is billing's oldest ready one now).
        try Self.settle(fixture, "shipping", "C", at: 10) { .dead($0) }
        let leasedC = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(600), now: Self.at(11)).first)
        #expect(leasedC.message.body == "C")
        // D: both done, after the cutoff.
        try Self.settle(fixture, "billing", "D", at: 30) { .done($0) }
        try Self.settle(fixture, "shipping", "D", at: 30) { .done($0) }

        let result = try fixture.bus.prune(before: Self.at(20))
        #expect(result == PruneResult(deliveries: 3, messages: 2))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["B", "C", "D", "F", "G"])
        #expect(try fixture.strings("""
            SELECT m.body || ':' || d.subscription || ':' || d.state FROM deliveries d JOIN messages m ON m.id = d.message
            WHERE m.body IN ('B', 'C', 'D') ORDER BY m.id, d.subscription
            """) == ["B:shipping:ready", "C:billing:leased", "C:shipping:dead", "D:billing:done", "D:shipping:done"])
        #expect(try fixture.bus.deadLetters().map(\.body) == ["C"])
        // The lease of C survives: it can still be settled.
        #expect(try fixture.bus.settle([.done(leasedC)], now: Self.at(40)).isEmpty)

        // A second pass has nothing left before the cutoff.
        #expect(try fixture.bus.prune(before: Self.at(20)) == PruneResult(deliveries: 0, messages: 0))
    }

    @Test func prune_neverRemovesWaitingRunningOrDeadDeliveries_whateverTheirAge() throws {
        let fixture = try BusFixture()
        for body in ["leased", "ready", "dead", "retrying"] { try fixture.publish("orders", body, at: Self.at(0)) }
        try Self.settle(fixture, "billing", "dead", at: 1) { .dead($0) }
        try Self.settle(fixture, "billing", "retrying", at: 1) { .retry($0, after: .seconds(5)) }
        let leased = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(600), now: Self.at(2))
        #expect(leased.map(\.message.body) == ["leased"])
        #expect(try fixture.states("billing") == ["leased", "ready", "dead", "ready"])
        // A year later.
        let result = try fixture.bus.prune(before: Self.at(365 * 86_400))
        #expect(result == PruneResult(deliveries: 0, messages: 0))
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 4)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 8)
    }

    @Test func prune_inSmallChunks_removesAsMuchAsInOne() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 7 { try fixture.publish("orders", "m\(index)", at: Self.at(0)) }
        for index in 0 ..< 5 { try fixture.publish("silent", "s\(index)", at: Self.at(0)) }
        for subscription in ["billing", "shipping"] {
            let leases = try fixture.bus.claim(subscription: subscription, limit: 100, leaseFor: .seconds(60), now: Self.at(1))
            try fixture.bus.settle(leases.map { .done($0) }, now: Self.at(1))
        }
        // 14 done deliveries in chunks of 2 (exact multiples), then 12 messages.
        #expect(try fixture.bus.prune(before: Self.at(2), chunk: 2) == PruneResult(deliveries: 14, messages: 12))
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0)
    }

    @Test func prune_removesMessagesWithoutSubscribersOnlyOnceOlderThanTheCutoff() throws {
        let fixture = try BusFixture()
        try fixture.publish("silent", "old", at: Self.at(0))
        try fixture.publish("silent", "edge", at: Self.at(10))
        try fixture.publish("silent", "new", at: Self.at(20))
        #expect(try fixture.bus.prune(before: Self.at(10)) == PruneResult(deliveries: 0, messages: 1))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["edge", "new"])
    }

    @Test func prune_freesADedupKey_soItCanBePublishedAgain() throws {
        let fixture = try BusFixture()
        let first = try fixture.publish("orders", "first", dedup: "k", at: Self.at(0))
        for subscription in ["billing", "shipping"] {
            try Self.settle(fixture, subscription, "first", at: 1) { .done($0) }
        }
        #expect(try fixture.publish("orders", "dup", dedup: "k", at: Self.at(2)) == PublishReceipt(messageID: first.messageID, duplicate: true))
        try fixture.bus.prune(before: Self.at(5))
        let again = try fixture.publish("orders", "second", dedup: "k", at: Self.at(6))
        #expect(again.duplicate == false)
        #expect(again.messageID != first.messageID)
    }

    @Test func prune_ofEveryMessage_thenPublishing_stillFansOut() throws {
        let fixture = try BusFixture()
        try fixture.publish("silent", "old", at: Self.at(0))
        #expect(try fixture.bus.prune(before: Self.at(10)) == PruneResult(deliveries: 0, messages: 1))
        // SQLite numbers the next message as the first again, behind the fan-out cursor: it must
        // be fanned out all the same.
        try fixture.publish("orders", "next", at: Self.at(11))
        #expect(try fixture.states("billing") == ["ready"])
    }

    @Test func prune_keepsMessagesNotFannedOutYet_thatASubscriptionWillReceive() throws {
        let fixture = try BusFixture()
        try fixture.bus.publish([OutgoingMessage(topic: "silent", body: "a"), OutgoingMessage(topic: "orders", body: "b"),
                                 OutgoingMessage(topic: "silent", body: "c")], now: Self.at(0))
        // "a" and "c" will never have a delivery; "b" will.
        #expect(try fixture.bus.prune(before: Self.at(365 * 86_400)) == PruneResult(deliveries: 0, messages: 2))
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["b"])
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.states("billing") == ["ready"])
        #expect(try fixture.bus.prune(before: Self.at(365 * 86_400)) == PruneResult(deliveries: 0, messages: 0))
    }
}
