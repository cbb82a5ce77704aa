import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct BusSettleTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    /// Publishes one message on `orders` at t0 and leases billing's delivery of it at t0+1.
    static func leased(_ fixture: BusFixture, body: String = "m") throws -> Lease {
        try fixture.publish("orders", body, at: at(0))
        return try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: at(1)).first)
    }

    // MARK: Verdicts

    @Test func settle_done_finishesTheDelivery() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        #expect(try fixture.bus.settle([.done(lease, by: "inv-1")], now: Self.at(2)).isEmpty)
        #expect(try fixture.delivery(lease.token.deliveryID)
            == DeliveryStatus(state: .done, function: "bill", attempt: 1, lastInvocationID: "inv-1", lastError: nil, visibleAt: Self.at(2)))
        #expect(try fixture.scalar("SELECT settled_at_us FROM deliveries WHERE id = ?", [lease.token.deliveryID])
            == Int(Self.at(2).timeIntervalSince1970 * 1_000_000))
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries WHERE lease_expires_at_us IS NOT NULL") == 0)
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(1_000)).isEmpty)
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(2)) == nil)
    }

    @Test func settle_retry_isNotClaimableBeforeTheDelay_andIsAfter() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        try fixture.bus.settle([.retry(lease, after: .milliseconds(30_500), error: "exit status 3", by: "inv-1")], now: Self.at(2))
        #expect(try fixture.delivery(lease.token.deliveryID)
            == DeliveryStatus(state: .ready, function: "bill", attempt: 1, lastInvocationID: "inv-1", lastError: "exit status 3", visibleAt: Self.at(32.5)))
        #expect(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(32.499_999)).isEmpty)
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(3)) == Self.at(32.5))
        let again = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(32.5))
        #expect(again.map(\.token.deliveryID) == [lease.token.deliveryID])
        #expect(again.map(\.attempt) == [2])
    }

    /// The daemon's own stop is no failure: the delivery is claimable at once, and the attempt it
    /// was killed in is not counted, so no retry is used up.
    @Test func settle_interrupted_isClaimableAtOnce_withItsAttemptNotCounted() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        #expect(lease.attempt == 1)
        try fixture.bus.settle([.interrupted(lease, error: "killed: Flint is stopping", by: "inv-1")], now: Self.at(2))
        #expect(try fixture.delivery(lease.token.deliveryID)
            == DeliveryStatus(state: .ready, function: "bill", attempt: 0, lastInvocationID: "inv-1", lastError: "killed: Flint is stopping", visibleAt: Self.at(2)))
        let again = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(2))
        #expect(again.map(\.token.deliveryID) == [lease.token.deliveryID])
        #expect(again.map(\.attempt) == [1], "the same attempt again, not the next")
        #expect(again.map(\.firstReceivedAt) == [Self.at(1)], "it was received, though")
    }

    @Test func settle_dead_keepsADeadLetterThatIsNeverClaimed() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture, body: "poison")
        try fixture.bus.settle([.dead(lease, error: "exit status 1", by: "inv-9")], now: Self.at(2))
        #expect(try fixture.delivery(lease.token.deliveryID)?.state == .dead)
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10_000)).isEmpty)
        #expect(try fixture.bus.deadLetters() == [DeadLetter(
            id: lease.token.deliveryID, messageID: lease.message.messageID, topic: "orders", subscription: "billing",
            function: "bill", attempts: 1, lastError: "exit status 1", lastInvocationID: "inv-9",
            publishedAt: Self.at(0), diedAt: Self.at(2), body: "poison", bodyBytes: 6, bodyTruncated: false
        )])
        #expect(try fixture.bus.deadLetter(id: lease.token.deliveryID)?.body == "poison")
        #expect(try fixture.bus.deadLetter(id: lease.token.deliveryID + 1) == nil)
    }

    /// A daemon from before `body_bytes` sent whole bodies: a newer CLI reads its listing so.
    @Test func aDeadLetterWithoutItsBodysSize_isReadAsWhole() throws {
        let json = #"{"id": 1, "message_id": "m", "topic": "t", "subscription": "s", "function": "f", "attempts": 1, "published_at": 0, "died_at": 1, "body": "héllo"}"#
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(json.utf8))
        #expect(letter.bodyBytes == 6)
        #expect(!letter.bodyTruncated)
    }

    /// A listing carries each body's beginning, cut before a UTF-8 sequence it would split; one
    /// dead letter asked by id has all of it.
    @Test(arguments: [0, 1, 2, 3])
    func deadLetters_listTheBodysBeginning_andOneByIDHasItWhole(offset: Int) throws {
        let fixture = try BusFixture()
        // A four-byte character (U+1F600) starting `offset` bytes before the listing's cut.
        let body = String(repeating: "a", count: DeadLetter.listedBodyBytes - offset) + String(repeating: "😀", count: 500)
        let lease = try Self.leased(fixture, body: body)
        try fixture.bus.settle([.dead(lease, error: "exit status 1", by: "inv-9")], now: Self.at(2))

        let listed = try #require(try fixture.bus.deadLetters().first)
        #expect(listed.bodyBytes == body.utf8.count)
        #expect(listed.bodyTruncated)
        let expected = offset == 0 ? DeadLetter.listedBodyBytes : DeadLetter.listedBodyBytes - offset
        #expect(listed.body.utf8.count == expected)
        #expect(body.hasPrefix(listed.body), "the cut split a character")

        let whole = try #require(try fixture.bus.deadLetter(id: lease.token.deliveryID))
        #expect(whole.body == body)
        #expect(whole.bodyBytes == body.utf8.count)
        #expect(!whole.bodyTruncated)
    }

    @Test func settle_doneAfterARetry_keepsTheRetrysErrorOnRecord() throws {
        // A retry's error stays on record after a later success (what `status` shows).
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        try fixture.bus.settle([.retry(lease, after: .zero, error: "first failure")], now: Self.at(2))
        let again = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(3))[0]
        try fixture.bus.settle([.done(again, by: "inv-2")], now: Self.at(4))
        let status = try #require(try fixture.delivery(lease.token.deliveryID))
        #expect(status.state == .done)
        #expect(status.attempt == 2)
        #expect(status.lastInvocationID == "inv-2")
        #expect(status.lastError == "first failure")
    }

    // MARK: Stale leases

    @Test func settle_withAnEpochOlderThanExpireLeases_isStaleAndChangesNothing() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        fixture.database.heldLeases.letGo([lease.token])  // given up by its holder
        #expect(try fixture.bus.expireLeases(now: Self.at(61)) == 1)
        let before = try fixture.strings("SELECT state || '|' || lease_epoch || '|' || visible_at_us || '|' || coalesce(last_invocation_id, '-') || '|' || coalesce(settled_at_us, '-') FROM deliveries ORDER BY id")

        for verdict in [Settlement.done(lease), .retry(lease, after: .seconds(1)), .dead(lease)] {
            #expect(try fixture.bus.settle([verdict], now: Self.at(62)) == [lease.token])
        }
        #expect(try fixture.strings("SELECT state || '|' || lease_epoch || '|' || visible_at_us || '|' || coalesce(last_invocation_id, '-') || '|' || coalesce(settled_at_us, '-') FROM deliveries ORDER BY id") == before)
        #expect(try fixture.states("billing") == ["ready"])
    }

    @Test func settle_withTheEpochOfAnEarlierLease_isStale_whileTheCurrentLeaseCounts() throws {
        let fixture = try BusFixture()
        let old = try Self.leased(fixture)
        #expect(try fixture.bus.releaseAllLeases(now: Self.at(2)) == 1)
        let current = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(3)).first)
        #expect(current.token.deliveryID == old.token.deliveryID)
        #expect(current.token.epoch == old.token.epoch + 2)

        // The late ack of the old lease must not finish the delivery the new lease is running.
        #expect(try fixture.bus.settle([.done(old)], now: Self.at(4)) == [old.token])
        #expect(try fixture.states("billing") == ["leased"])
        #expect(try fixture.bus.settle([.done(current, by: "inv-current")], now: Self.at(5)).isEmpty)
        #expect(try fixture.delivery(current.token.deliveryID)?.lastInvocationID == "inv-current")
    }

    @Test func settle_twice_secondIsStale() throws {
        let fixture = try BusFixture()
        let lease = try Self.leased(fixture)
        #expect(try fixture.bus.settle([.dead(lease)], now: Self.at(2)).isEmpty)
        #expect(try fixture.bus.settle([.done(lease)], now: Self.at(3)) == [lease.token])
        #expect(try fixture.delivery(lease.token.deliveryID)?.state == .dead)
    }

    @Test func settle_aBatch_appliesTheCurrentOnes_andReturnsOnlyTheStale() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", "m\(index)", at: Self.at(Double(index))) }
        let leases = try fixture.bus.claim(subscription: "billing", limit: 3, leaseFor: .seconds(10), now: Self.at(5))
        let unknown = LeaseToken(deliveryID: 999, epoch: 1)
        let stale = try fixture.bus.settle([
            .done(leases[0]),
            Settlement(lease: LeaseToken(deliveryID: leases[1].token.deliveryID, epoch: leases[1].token.epoch + 1), verdict: .done, invocationID: "x"),
            .dead(leases[2]),
            Settlement(lease: unknown, verdict: .done, invocationID: "y"),
        ], now: Self.at(6))
        #expect(stale == [LeaseToken(deliveryID: leases[1].token.deliveryID, epoch: leases[1].token.epoch + 1), unknown])
        #expect(try fixture.states("billing") == ["done", "leased", "dead"])
    }

    @Test func settle_nothing_returnsNothing() throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.settle([]).isEmpty)
    }

    // MARK: status

    @Test func status_followsADeliveryThroughItsStates() throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.status(messageID: "unknown") == nil)
        let receipt = try #require(try fixture.bus.publish(
            [OutgoingMessage(topic: "flint.invoke.echo", body: "{}", messageID: "invocation-1")], now: Self.at(0)
        ).first)
        #expect(receipt.messageID == "invocation-1")
        #expect(try fixture.bus.status(messageID: "invocation-1")
            == DeliveryStatus(state: .ready, function: "echo", attempt: 0, lastInvocationID: nil, lastError: nil, visibleAt: Self.at(0)))

        let first = try fixture.bus.claim(subscription: "flint.invoke.echo", limit: 1, leaseFor: .seconds(60), now: Self.at(1))[0]
        #expect(try fixture.bus.status(messageID: "invocation-1")?.state == .leased)
        #expect(try fixture.bus.status(messageID: "invocation-1")?.attempt == 1)

        try fixture.bus.settle([.retry(first, after: .seconds(10), error: "timeout", by: "invocation-1")], now: Self.at(2))
        #expect(try fixture.bus.status(messageID: "invocation-1")
            == DeliveryStatus(state: .ready, function: "echo", attempt: 1, lastInvocationID: "invocation-1", lastError: "timeout", visibleAt: Self.at(12)))

        let second = try fixture.bus.claim(subscription: "flint.invoke.echo", limit: 1, leaseFor: .seconds(60), now: Self.at(12))[0]
        try fixture.bus.settle([.dead(second, error: "timeout again", by: "inv-b")], now: Self.at(13))
        #expect(try fixture.bus.status(messageID: "invocation-1")
            == DeliveryStatus(state: .dead, function: "echo", attempt: 2, lastInvocationID: "inv-b", lastError: "timeout again", visibleAt: Self.at(13)))

        // Replayed, it starts a new round: the last one's error is not shown as its.
        #expect(try fixture.bus.replay(ids: [second.token.deliveryID], now: Self.at(20)) == [second.token.deliveryID])
        #expect(try fixture.bus.status(messageID: "invocation-1")
            == DeliveryStatus(state: .ready, function: "echo", attempt: 0, lastInvocationID: "inv-b", lastError: nil, visibleAt: Self.at(20)))

        let third = try fixture.bus.claim(subscription: "flint.invoke.echo", limit: 1, leaseFor: .seconds(60), now: Self.at(21))[0]
        try fixture.bus.settle([.done(third, by: "inv-c")], now: Self.at(22))
        #expect(try fixture.bus.status(messageID: "invocation-1")?.state == .done)
        #expect(try fixture.bus.status(messageID: "invocation-1")?.attempt == 1)
    }

    @Test func status_answersOnlyForAsynchronousInvocations() throws {
        let fixture = try BusFixture()
        try fixture.bus.publish([
            OutgoingMessage(topic: "orders", body: "x", messageID: "queue-message"),
            OutgoingMessage(topic: "silent", body: "x", messageID: "unheard"),
        ])
        #expect(try fixture.bus.status(messageID: "queue-message") == nil)
        #expect(try fixture.bus.status(messageID: "unheard") == nil)
        try fixture.bus.fanOut()
        #expect(try fixture.bus.status(messageID: "queue-message") == nil)
        #expect(try fixture.states("billing") == ["ready"])
    }

    @Test func status_ofAnInvocationNotFannedOutYet_isReady() throws {
        let fixture = try BusFixture()
        try fixture.bus.publish([OutgoingMessage(topic: "flint.invoke.echo", body: "{}", messageID: "invocation-1")], now: BusFixture.t0)
        let waiting = DeliveryStatus(state: .ready, function: "echo", attempt: 0, lastInvocationID: nil, lastError: nil, visibleAt: BusFixture.t0)
        #expect(try fixture.bus.status(messageID: "invocation-1") == waiting)
        #expect(try fixture.bus.fanOut() == 1)
        // Its delivery now says the same.
        #expect(try fixture.bus.status(messageID: "invocation-1") == waiting)
        #expect(try fixture.states("flint.invoke.echo") == ["ready"])
    }

    // MARK: Dead letters

    /// Kills the delivery of `subscription` for `body` at `at(diedAt)`. The others it had to
    /// claim along with it are released again (their attempt counts grow; tests here ignore them).
    static func kill(_ fixture: BusFixture, _ subscription: String, body: String, diedAt: Double) throws -> Lease {
        let claimed = try fixture.bus.claim(subscription: subscription, limit: 100, leaseFor: .seconds(600), now: at(diedAt))
        let lease = try #require(claimed.first { $0.message.body == body })
        #expect(try fixture.bus.settle([.dead(lease, error: "\(body) died")], now: at(diedAt)).isEmpty)
        try fixture.bus.releaseAllLeases(now: at(0))
        return lease
    }

    @Test func deadLetters_areNewestFirst_filteredByFunction_andLimited() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        try fixture.publish("orders", "c", at: Self.at(0))
        let billA = try Self.kill(fixture, "billing", body: "a", diedAt: 10)
        let shipB = try Self.kill(fixture, "shipping", body: "b", diedAt: 30)
        let billC = try Self.kill(fixture, "billing", body: "c", diedAt: 20)

        #expect(try fixture.bus.deadLetters().map(\.id) == [shipB.token.deliveryID, billC.token.deliveryID, billA.token.deliveryID])
        #expect(try fixture.bus.deadLetters().map(\.diedAt) == [Self.at(30), Self.at(20), Self.at(10)])
        #expect(try fixture.bus.deadLetters(function: "bill").map(\.body) == ["c", "a"])
        #expect(try fixture.bus.deadLetters(function: "ship").map(\.lastError) == ["b died"])
        #expect(try fixture.bus.deadLetters(function: "nobody").isEmpty)
        #expect(try fixture.bus.deadLetters(limit: 1).map(\.body) == ["b"])
        #expect(try fixture.bus.deadLetters(limit: 0).isEmpty)
        #expect(try fixture.bus.deadLetters(limit: -5).isEmpty)
    }

    @Test func replay_byIDs_queuesThoseAgainWithFreshAttempts_leavingOutUnknownAndLiveOnes() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        let a = try Self.kill(fixture, "billing", body: "a", diedAt: 10)
        let b = try Self.kill(fixture, "billing", body: "b", diedAt: 11)
        let shippingA = try #require(try fixture.bus.claim(subscription: "shipping", limit: 1, leaseFor: .seconds(60), now: Self.at(12)).first)
        try fixture.bus.settle([.done(shippingA)], now: Self.at(12))

        let replayed = try fixture.bus.replay(ids: [b.token.deliveryID, 424_242, shippingA.token.deliveryID], now: Self.at(100))
        #expect(replayed == [b.token.deliveryID])
        #expect(try fixture.bus.deadLetters().map(\.id) == [a.token.deliveryID])
        #expect(try fixture.delivery(shippingA.token.deliveryID)?.state == .done)
        #expect(try fixture.delivery(a.token.deliveryID)?.state == .dead)

        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(99.999)).isEmpty)
        let again = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(100))
        #expect(again.map(\.message.body) == ["b"])
        #expect(again[0].attempt == 1)
        #expect(again[0].token.epoch > b.token.epoch)
        // The dead lease's late ack is stale.
        #expect(try fixture.bus.settle([.done(b)], now: Self.at(101)) == [b.token])
        #expect(try fixture.bus.replay(ids: [], now: Self.at(102)).isEmpty)
    }

    @Test func replay_all_andAllOfOneFunction() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        try fixture.publish("orders", "b", at: Self.at(0))
        let billA = try Self.kill(fixture, "billing", body: "a", diedAt: 10)
        let shipA = try Self.kill(fixture, "shipping", body: "a", diedAt: 11)
        let shipB = try Self.kill(fixture, "shipping", body: "b", diedAt: 12)

        #expect(try fixture.bus.replay(ids: nil, function: "ship", now: Self.at(20)) == [shipA.token.deliveryID, shipB.token.deliveryID].sorted())
        #expect(try fixture.bus.deadLetters().map(\.id) == [billA.token.deliveryID])
        #expect(try fixture.bus.claim(subscription: "shipping", limit: 10, leaseFor: .seconds(60), now: Self.at(20)).map(\.attempt) == [1, 1])

        #expect(try fixture.bus.replay(ids: nil, now: Self.at(30)) == [billA.token.deliveryID])
        #expect(try fixture.bus.deadLetters().isEmpty)
        #expect(try fixture.bus.replay(ids: nil, now: Self.at(31)).isEmpty)
        // Ids and function together: both must match.
        // Billing's b was never dead (visible since 0); its replayed a is visible from 30.
        let again = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(30))
        #expect(again.map(\.message.body) == ["b", "a"])
        #expect(again.map(\.token.deliveryID).last == billA.token.deliveryID)
        try fixture.bus.settle([.dead(again[1])], now: Self.at(32))
        #expect(try fixture.bus.replay(ids: [billA.token.deliveryID], function: "ship", now: Self.at(33)).isEmpty)
        #expect(try fixture.bus.replay(ids: [billA.token.deliveryID], function: "bill", now: Self.at(33)) == [billA.token.deliveryID])
    }

    @Test func replay_leavesDeadLettersOfARetiredSubscriptionDead_andNamesThem() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "a", at: Self.at(0))
        let billA = try Self.kill(fixture, "billing", body: "a", diedAt: 10)
        let shipA = try Self.kill(fixture, "shipping", body: "a", diedAt: 11)
        // The shipping trigger is removed from the project (a reload retires its subscription).
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "billing", topic: "orders", function: "bill")]),
            retireOthers: true)

        let all = try fixture.bus.replayNamingRetired(ids: nil, now: Self.at(20))
        #expect(all.replayed == [billA.token.deliveryID])
        #expect(all.retired == [shipA.token.deliveryID])
        // Nothing claims a retired subscription: replayed, it would have waited unseen for ever.
        #expect(try fixture.bus.deadLetters().map(\.id) == [shipA.token.deliveryID])
        #expect(try fixture.bus.replay(ids: [shipA.token.deliveryID], now: Self.at(21)).isEmpty)
        let ship = try fixture.bus.replayNamingRetired(ids: nil, function: "ship", now: Self.at(22))
        #expect(ship.replayed.isEmpty && ship.retired == [shipA.token.deliveryID])
        let none = try fixture.bus.replayNamingRetired(ids: [billA.token.deliveryID], now: Self.at(23))
        #expect(none.replayed.isEmpty && none.retired.isEmpty && none.renumbered.isEmpty)
    }
}
