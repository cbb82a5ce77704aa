import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// `Bus.discard`: dead letters deleted for good, their messages left to retention.
@Suite struct BusDiscardTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    @Test func discard_byIDs_deletesThoseDeadLetters_leavingOutUnknownAndLiveOnes() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        let a = try BusSettleTests.kill(fixture, "billing", body: "a", diedAt: 10)
        let b = try BusSettleTests.kill(fixture, "billing", body: "b", diedAt: 11)
        let shippingA = try #require(try fixture.bus.claim(subscription: "shipping", limit: 1, leaseFor: .seconds(60), now: Self.at(12)).first)
        try fixture.bus.settle([.done(shippingA)], now: Self.at(12))

        let discarded = try fixture.bus.discard(ids: [b.token.deliveryID, 424_242, shippingA.token.deliveryID])
        #expect(discarded == [b.token.deliveryID])
        #expect(try fixture.bus.deadLetters().map(\.id) == [a.token.deliveryID])
        #expect(try fixture.delivery(b.token.deliveryID) == nil)
        #expect(try fixture.delivery(shippingA.token.deliveryID)?.state == .done)
        #expect(try fixture.delivery(a.token.deliveryID)?.state == .dead)
        // Gone for good: not discarded twice, nor replayed, nor delivered again.
        #expect(try fixture.bus.discard(ids: [b.token.deliveryID]).isEmpty)
        #expect(try fixture.bus.replay(ids: [b.token.deliveryID], now: Self.at(20)).isEmpty)
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(20)).isEmpty)
        #expect(try fixture.bus.discard(ids: []).isEmpty)
    }

    @Test func discard_all_andAllOfOneFunction_retiredSubscriptionsIncluded() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        let billA = try BusSettleTests.kill(fixture, "billing", body: "a", diedAt: 10)
        let shipA = try BusSettleTests.kill(fixture, "shipping", body: "a", diedAt: 11)
        let shipB = try BusSettleTests.kill(fixture, "shipping", body: "b", diedAt: 12)
        // The shipping trigger is removed from the project: its dead letters could never be replayed.
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "billing", topic: "orders", function: "bill")]),
            retireOthers: true)
        #expect(try fixture.bus.depths()["shipping"]?.dead == 2)
        // Listed as such: nothing would take them again.
        #expect(try fixture.bus.deadLetters().map(\.replayable) == [false, false, true])
        #expect(try fixture.bus.deadLetter(id: billA.token.deliveryID)?.replayable == true)
        #expect(try fixture.bus.deadLetter(id: shipA.token.deliveryID)?.replayable == false)

        #expect(try fixture.bus.discard(ids: nil, function: "ship") == [shipA.token.deliveryID, shipB.token.deliveryID].sorted())
        #expect(try fixture.bus.deadLetters().map(\.id) == [billA.token.deliveryID])
        // What `flint_dead_letters` reads at each scrape.
        #expect(try fixture.bus.depths()["shipping"]?.dead ?? 0 == 0)
        // Ids and function together: both must match.
        #expect(try fixture.bus.discard(ids: [billA.token.deliveryID], function: "ship").isEmpty)
        #expect(try fixture.bus.discard(ids: nil, function: "nobody").isEmpty)

        #expect(try fixture.bus.discard(ids: nil) == [billA.token.deliveryID])
        #expect(try fixture.bus.deadLetters().isEmpty)
        #expect(try fixture.bus.discard(ids: nil).isEmpty)
        // Billing's b was never dead: it still waits.
        #expect(try fixture.states("billing") == ["ready"])
    }

    /// Retention deletes a message once no delivery needs it, as after its deliveries are done:
    /// until then its dedup key stays taken, and another subscription's delivery still has it.
    @Test func discard_leavesTheMessageToRetention_whichDeletesItOnceNothingNeedsIt() throws {
        let fixture = try BusFixture()
        let first = try fixture.publish("orders", "a", dedup: "k", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        let billA = try BusSettleTests.kill(fixture, "billing", body: "a", diedAt: 10)
        let billB = try BusSettleTests.kill(fixture, "billing", body: "b", diedAt: 10)
        try BusRetentionTests.settle(fixture, "shipping", "a", at: 10) { .done($0) }

        #expect(try fixture.bus.discard(ids: [billA.token.deliveryID, billB.token.deliveryID]) == [billA.token.deliveryID, billB.token.deliveryID])
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["a", "b"])
        #expect(try fixture.publish("orders", "again", dedup: "k", at: Self.at(11)) == PublishReceipt(messageID: first.messageID, duplicate: true))

        let pruned = try fixture.bus.prune(before: Self.at(20))
        #expect(pruned == PruneResult(deliveries: 1, messages: 1))
        // b's shipping delivery still waits for it.
        #expect(try fixture.strings("SELECT body FROM messages ORDER BY id") == ["b"])
        #expect(try fixture.bus.claim(subscription: "shipping", limit: 10, leaseFor: .seconds(60), now: Self.at(21)).map(\.message.body) == ["b"])
        #expect(try fixture.publish("orders", "again", dedup: "k", at: Self.at(22)).duplicate == false)
    }

    @Test func discard_letsTheLastAttemptsRecordAgeOut() async throws {
        let fixture = try BusFixture()
        let ledger = InvocationLedger(database: fixture.database)
        try fixture.publish("orders", "doomed", at: Self.at(0))
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(600), now: Self.at(1)).first)
        #expect(try fixture.bus.settle([.dead(lease, by: "last-attempt")], now: Self.at(2)).isEmpty)
        try await ledger.append([InvocationLedgerRetentionTests.entry("last-attempt", startedAt: 1, log: "the reason it died\n")])
        #expect(try ledger.prune(before: Self.at(1_000)) == 0)

        #expect(try fixture.bus.discard(ids: [lease.token.deliveryID]) == [lease.token.deliveryID])
        #expect(try ledger.prune(before: Self.at(1_000)) == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM invocation_logs") == 0)
    }
}
