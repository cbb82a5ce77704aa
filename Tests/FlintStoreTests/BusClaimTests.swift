import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct BusClaimTests {
    static let t0 = BusFixture.t0

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    // MARK: Order, limit, leasing

    @Test func claim_takesTheOldestVisibleFirst_thenByPublishingOrder() throws {
        let fixture = try BusFixture()
        // Published out of time order: visibility, not insertion, decides.
        try fixture.publish("orders", "late", at: Self.at(2))
        try fixture.publish("orders", "early", at: Self.at(0))
        try fixture.publish("orders", "middle-a", at: Self.at(1))
        try fixture.publish("orders", "middle-b", at: Self.at(1))
        let leases = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(leases.map(\.message.body) == ["early", "middle-a", "middle-b", "late"])
    }

    @Test func claim_respectsTheLimit_andNeverHandsOutALeasedDeliveryAgain() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 5 { try fixture.publish("orders", "m\(index)", at: Self.at(Double(index))) }
        let first = try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(60), now: Self.at(10))
        #expect(first.map(\.message.body) == ["m0", "m1"])
        let second = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(second.map(\.message.body) == ["m2", "m3", "m4"])
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).isEmpty)
        #expect(try fixture.states("billing") == Array(repeating: "leased", count: 5))
        // The other subscription's deliveries are its own.
        #expect(try fixture.states("shipping") == Array(repeating: "ready", count: 5))
        #expect(try fixture.bus.claim(subscription: "shipping", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).count == 5)
    }

    @Test func claim_withAByteBudget_stopsBeforeTheMessageThatWouldPassIt_butTakesAtLeastOne() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 4 { try fixture.publish("orders", String(repeating: "\(index)", count: 1_000), at: Self.at(Double(index))) }
        let claim = try fixture.bus.claim(subscription: "billing", limit: 10, byteBudget: 2_500, leaseFor: .seconds(60), now: Self.at(10))
        #expect(claim.leases.map(\.message.body.first) == ["0", "1"])
        #expect(claim.cutShort)
        // Only what was taken is leased.
        #expect(try fixture.states("billing") == ["leased", "leased", "ready", "ready"])
        let alone = try fixture.bus.claim(subscription: "billing", limit: 10, byteBudget: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(alone.leases.map(\.message.body.first) == ["2"])
        #expect(alone.cutShort)
        let rest = try fixture.bus.claim(subscription: "billing", limit: 10, byteBudget: 2_500, leaseFor: .seconds(60), now: Self.at(10))
        #expect(rest.leases.map(\.message.body.first) == ["3"])
        #expect(!rest.cutShort)
    }

    @Test func claim_countsEachMessagesOverhead_againstTheByteBudget() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", String(repeating: "\(index)", count: 1_000), at: Self.at(Double(index))) }
        let claim = try fixture.bus.claim(
            subscription: "billing", limit: 10, byteBudget: 2_500, overheadPerMessage: 300, leaseFor: .seconds(60), now: Self.at(10)
        )
        #expect(claim.leases.count == 1)
        #expect(claim.cutShort)
    }

    @Test func dueBytesReach_sumsTheDueMessagesInOrder_uptoTheLimit() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", String(repeating: "\(index)", count: 1_000), at: Self.at(Double(index))) }
        // Each message is its 1,000-byte body and its attributes (`{}`, 2 bytes).
        #expect(try fixture.bus.dueBytesReach(3_006, subscription: "billing", limit: 10, now: Self.at(10)))
        #expect(try !fixture.bus.dueBytesReach(3_007, subscription: "billing", limit: 10, now: Self.at(10)))
        #expect(try fixture.bus.dueBytesReach(3_007, subscription: "billing", limit: 10, overheadPerMessage: 1, now: Self.at(10)))
        #expect(try !fixture.bus.dueBytesReach(2_005, subscription: "billing", limit: 2, now: Self.at(10)))
        // Only what is due counts.
        #expect(try !fixture.bus.dueBytesReach(2_005, subscription: "billing", limit: 10, now: Self.at(1)))
    }

    /// The sizes are read in the claim's order, one row per step: a claim cut at its budget
    /// leaves the bodies after the cut unread (a sort would read them all first).
    @Test func sizesQuery_walksTheIdsInOrder_withoutSorting() throws {
        let fixture = try BusFixture()
        let plan = try fixture.bus.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Bus.sizesSQL, arguments: ["[3,1,2]"]).map { $0["detail"] as String }
        }
        #expect(plan.first?.hasPrefix("SCAN j ") == true, "\(plan)")  // j: the json_each of the ids
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }

    @Test func release_makesALeaseReadyAgainInItsPlace_withoutCountingTheAttempt() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "first", at: Self.at(0))
        try fixture.publish("orders", "second", at: Self.at(1))
        let leases = try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(60), now: Self.at(10))
        let second = try #require(leases.last)
        try fixture.bus.release([second.token], claimedAt: Self.at(10))
        #expect(try fixture.states("billing") == ["leased", "ready"])
        // The released lease is stale: its ack is refused.
        #expect(try fixture.bus.settle([.done(second)], now: Self.at(11)) == [second.token])
        let again = try #require(try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(60), now: Self.at(20)).first)
        #expect(again.message.body == "second")
        #expect(again.attempt == 1)
        #expect(again.firstReceivedAt == Self.at(20))
        #expect(again.token.epoch == second.token.epoch + 2)
        // A lease that is no longer current is left alone.
        try fixture.bus.release([second.token], claimedAt: Self.at(10))
        #expect(try fixture.states("billing") == ["leased", "leased"])
        // Retried, then claimed and released: the first receipt, before that claim, is kept.
        try fixture.bus.settle([.retry(again, after: .zero)], now: Self.at(30))
        let retried = try #require(try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(60), now: Self.at(40)).first)
        #expect(retried.attempt == 2)
        try fixture.bus.release([retried.token], claimedAt: Self.at(40))
        let third = try #require(try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(60), now: Self.at(50)).first)
        #expect(third.attempt == 2)
        #expect(third.firstReceivedAt == Self.at(20))
    }

    @Test func claim_withZeroLimitOrUnknownSubscription_leasesNothing() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "m")
        #expect(try fixture.bus.claim(subscription: "billing", limit: 0, leaseFor: .seconds(60), now: Self.at(10)).isEmpty)
        #expect(try fixture.bus.claim(subscription: "nobody", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).isEmpty)
        #expect(try fixture.states("billing") == ["ready"])
    }

    @Test func claim_beforeTheMessageIsVisible_leasesNothing() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "m", at: Self.at(5))
        #expect(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(4.999_999)).isEmpty)
        #expect(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(5)).count == 1)
    }

    @Test func claim_countsAttempts_andEachLeaseHasANewEpoch() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "m")
        let first = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(1)).first)
        #expect(first.attempt == 1)
        #expect(first.token.epoch == 1)
        #expect(first.firstReceivedAt == Self.at(1))
        #expect(first.token.description == "\(first.token.deliveryID).1")
        #expect(try fixture.scalar("SELECT lease_expires_at_us FROM deliveries WHERE id = ?", [first.token.deliveryID])
            == Int(Self.at(61).timeIntervalSince1970 * 1_000_000))

        try fixture.bus.settle([.retry(first, after: .zero)], now: Self.at(2))
        let second = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(3)).first)
        #expect(second.token.deliveryID == first.token.deliveryID)
        #expect(second.attempt == 2)
        #expect(second.token.epoch == 2)
        #expect(second.firstReceivedAt == Self.at(1))  // the first receipt, not this one
    }

    @Test func claim_roundTripsEveryMessageField() throws {
        let fixture = try BusFixture()
        let publishedAt = Date(timeIntervalSince1970: 1_750_000_000.123_456)
        let outgoing = OutgoingMessage(
            topic: "orders", body: "héllo\n\u{1F600}\tend", attributes: ["a": "1", "space key": "x y", "empty": ""],
            dedupKey: "dedup-1", groupKey: "group-1", messageID: "message-1",
            origin: MessageOrigin(source: .schedule, trigger: "nightly"), depth: 3
        )
        try fixture.bus.publish([outgoing], now: publishedAt)
        let lease = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(10)).first)
        let message = lease.message
        #expect(message.messageID == "message-1")
        #expect(message.topic == "orders")
        #expect(message.body == "héllo\n\u{1F600}\tend")
        #expect(message.attributes == ["a": "1", "space key": "x y", "empty": ""])
        #expect(message.dedupKey == "dedup-1")
        #expect(message.groupKey == "group-1")
        #expect(message.origin == MessageOrigin(source: .schedule, trigger: "nightly"))
        #expect(message.depth == 3)
        #expect(message.publishedAt == Date(timeIntervalSince1970: 1_750_000_000.123_456))
        #expect(message.rowID == 1)
    }

    @Test func claim_ofAPlainMessage_hasNoOriginGroupOrAttributes() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "plain")
        let message = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(1)).first).message
        #expect(message.origin == nil)
        #expect(message.groupKey == nil)
        #expect(message.dedupKey == nil)
        #expect(message.attributes == [:])
        #expect(message.depth == 0)
    }

    // MARK: FIFO groups

    @Test func claim_holdsBackLaterMessagesOfAGroupWhileAnEarlierOneIsReadyOrLeased() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "g1", group: "g", at: Self.at(0))
        try fixture.publish("orders", "g2", group: "g", at: Self.at(1))
        try fixture.publish("orders", "u1", at: Self.at(2))
        try fixture.publish("orders", "h1", group: "h", at: Self.at(3))
        try fixture.publish("orders", "g3", group: "g", at: Self.at(4))
        try fixture.publish("orders", "h2", group: "h", at: Self.at(5))

        // In one claim only the head of each group is handed out; ungrouped ones always are.
        let first = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(first.map(\.message.body) == ["g1", "u1", "h1"])
        // While the heads are leased, their groups wait.
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).isEmpty)

        try fixture.bus.settle([.done(first[0])], now: Self.at(11))
        let second = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(12))
        #expect(second.map(\.message.body) == ["g2"])

        try fixture.bus.settle([.done(first[2]), .done(second[0])], now: Self.at(13))
        let third = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(14))
        #expect(third.map(\.message.body) == ["g3", "h2"])
    }

    @Test func claim_aRetriedHeadOfGroupBlocksTheRestUntilItSucceeds() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "g1", group: "g", at: Self.at(0))
        try fixture.publish("orders", "g2", group: "g", at: Self.at(1))
        try fixture.publish("orders", "other", group: "o", at: Self.at(2))
        let head = try #require(try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(10)).first)
        #expect(head.message.body == "g1")
        try fixture.bus.settle([.retry(head, after: .seconds(100))], now: Self.at(10))

        // g1 is ready but not visible before 110: g2 must still wait; the other group does not.
        let meanwhile = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(50))
        #expect(meanwhile.map(\.message.body) == ["other"])

        let again = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(110))
        #expect(again.map(\.message.body) == ["g1"])
        #expect(again.first?.attempt == 2)
        try fixture.bus.settle([.done(again[0])], now: Self.at(111))
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(111)).map(\.message.body) == ["g2"])
    }

    @Test func claim_aDeadHeadOfGroupNoLongerBlocks() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "g1", group: "g", at: Self.at(0))
        try fixture.publish("orders", "g2", group: "g", at: Self.at(1))
        let head = try #require(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).first)
        try fixture.bus.settle([.dead(head)], now: Self.at(11))
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(12)).map(\.message.body) == ["g2"])
    }

    /// A replayed dead head goes to the end of its group, as SQS's redrive does: it never runs
    /// beside what its group is running, nor ahead of what the group has waiting.
    @Test func replayOfADeadHeadOfGroup_queuesItAtTheGroupsEnd() throws {
        let fixture = try BusFixture()
        for (index, body) in ["g1", "g2", "g3"].enumerated() {
            try fixture.publish("orders", body, group: "g", at: Self.at(Double(index)))
        }
        let head = try #require(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10)).first)
        try fixture.bus.settle([.dead(head)], now: Self.at(11))
        let second = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(12))
        #expect(second.map(\.message.body) == ["g2"])

        let replay = try fixture.bus.replayNamingRetired(ids: [head.token.deliveryID], now: Self.at(13))
        #expect(replay.replayed == [head.token.deliveryID])
        let newID = try #require(replay.renumbered[head.token.deliveryID])
        #expect(newID > head.token.deliveryID)
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(14)).isEmpty, "g2 is running")
        try fixture.bus.settle([.done(second[0])], now: Self.at(15))
        let third = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(16))
        #expect(third.map(\.message.body) == ["g3"], "g3 waited longer than the replayed g1")
        try fixture.bus.settle([.done(third[0])], now: Self.at(17))
        let replayed = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(18))
        #expect(replayed.map(\.message.body) == ["g1"])
        #expect(replayed.map(\.token.deliveryID) == [newID], "under the id the replay said")
        #expect(replayed.map(\.attempt) == [1], "fresh attempts")
        #expect(try fixture.bus.deadLetters().isEmpty)
    }

    @Test func claim_groupsAreOrderedPerSubscription() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "g1", group: "g", at: Self.at(0))
        try fixture.publish("orders", "g2", group: "g", at: Self.at(1))
        let billing = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(billing.map(\.message.body) == ["g1"])
        try fixture.bus.settle([.done(billing[0])], now: Self.at(11))
        // Billing finished g1, but shipping has not even started it: shipping gets g1 only.
        #expect(try fixture.bus.claim(subscription: "shipping", limit: 10, leaseFor: .seconds(60), now: Self.at(12)).map(\.message.body) == ["g1"])
        #expect(try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(12)).map(\.message.body) == ["g2"])
    }

    // MARK: due

    @Test func due_countsVisibleReadyDeliveriesUpToTheLimit_andTheOldest() throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.due(subscription: "billing", limit: 10, now: Self.at(0)) == (0, nil))
        for index in 0 ..< 4 { try fixture.publish("orders", "m\(index)", at: Self.at(Double(index))) }
        #expect(try fixture.bus.due(subscription: "billing", limit: 10, now: Self.at(2)) == (3, Self.at(0)))
        #expect(try fixture.bus.due(subscription: "billing", limit: 2, now: Self.at(10)) == (2, Self.at(0)))
        _ = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(10))
        #expect(try fixture.bus.due(subscription: "billing", limit: 10, now: Self.at(10)) == (3, Self.at(1)))
    }

    @Test func due_countsOnlyWhatClaimCouldTake_soLaterMessagesOfABusyGroupAreNotDue() throws {
        // `due` is documented as what the subscription could claim now; the consumer sizes
        // batches and batching windows by it.
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", "g\(index)", group: "g", at: Self.at(Double(index))) }
        #expect(try fixture.bus.due(subscription: "billing", limit: 10, now: Self.at(10)) == (1, Self.at(0)))
        _ = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(10))
        #expect(try fixture.bus.due(subscription: "billing", limit: 10, now: Self.at(10)) == (0, nil))
    }

    @Test func dueSubscriptions_namesExactlyThoseWithAVisibleReadyDelivery() throws {
        let fixture = try BusFixture()
        let all = ["billing", "shipping", "audit", "flint.invoke.echo"]
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(0)).isEmpty)
        try fixture.publish("orders", "now", at: Self.at(0))
        try fixture.publish("events", "{}", at: Self.at(5))
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(1)) == ["billing", "shipping"])
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(5)) == ["billing", "shipping", "audit"])
        // Only those asked about; leased deliveries are not due.
        #expect(try fixture.bus.dueSubscriptions(among: ["shipping", "audit"], now: Self.at(5)) == ["shipping", "audit"])
        _ = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(5))
        #expect(try fixture.bus.dueSubscriptions(among: all, now: Self.at(5)) == ["shipping", "audit"])
        #expect(try fixture.bus.dueSubscriptions(among: [], now: Self.at(5)).isEmpty)
    }

    // MARK: Leases running out

    @Test func expireLeases_makesOnlyExpiredLeasesClaimableAgain() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "short", at: Self.at(0))
        try fixture.publish("orders", "long", at: Self.at(1))
        let short = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(10), now: Self.at(5))[0]
        let long = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(100), now: Self.at(5))[0]
        // Held by this process, they never expire (it was only held up); given up, they do.
        #expect(try fixture.bus.expireLeases(now: Self.at(200)) == 0)
        fixture.database.heldLeases.letGo([short.token, long.token])

        #expect(try fixture.bus.expireLeases(now: Self.at(14.999_999)) == 0)
        #expect(try fixture.bus.expireLeases(now: Self.at(15)) == 1)
        #expect(try fixture.states("billing") == ["ready", "leased"])
        let status = try #require(try fixture.delivery(short.token.deliveryID))
        #expect(status.state == .ready)
        #expect(status.lastError == "lease expired before the invocation ended")
        #expect(status.visibleAt == Self.at(15))

        let again = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(10), now: Self.at(16))
        #expect(again.map(\.message.body) == ["short"])
        #expect(again[0].attempt == 2)
        #expect(again[0].token.epoch == short.token.epoch + 2)  // one for the expiry, one for this lease
        #expect(try fixture.bus.settle([.done(long)], now: Self.at(17)).isEmpty)
    }

    /// A lease is held from its claim until it is settled or given back; one leased again since
    /// is held under its new epoch.
    @Test func heldLeases_followClaimsSettlementsAndReleases() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", "m\(index)", at: Self.at(Double(index))) }
        let leases = try fixture.bus.claim(subscription: "billing", limit: 3, leaseFor: .seconds(10), now: Self.at(5))
        #expect(fixture.database.heldLeases.count == 3)
        try fixture.bus.settle([.done(leases[0])], now: Self.at(6))
        try fixture.bus.release([leases[1].token], claimedAt: Self.at(5))
        #expect(fixture.database.heldLeases.count == 1)
        // Only the one still held is left alone by expiry.
        let again = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(10), now: Self.at(7))
        fixture.database.heldLeases.letGo([leases[1].token])  // an old epoch: changes nothing
        #expect(fixture.database.heldLeases.count == 2)
        #expect(try fixture.bus.expireLeases(now: Self.at(100)) == 0)
        fixture.database.heldLeases.letGo([leases[2].token])
        #expect(try fixture.bus.expireLeases(now: Self.at(100)) == 1)
        #expect(try fixture.bus.settle([.done(again[0])], now: Self.at(101)).isEmpty)
    }

    @Test func releaseAllLeases_makesEveryLeasedDeliveryClaimableAtOnce() throws {
        let fixture = try BusFixture()
        for index in 0 ..< 3 { try fixture.publish("orders", "m\(index)", at: Self.at(Double(index))) }
        let leases = try fixture.bus.claim(subscription: "billing", limit: 2, leaseFor: .seconds(3600), now: Self.at(5))
        #expect(try fixture.bus.releaseAllLeases(now: Self.at(6)) == 2)
        #expect(try fixture.states("billing") == ["ready", "ready", "ready"])
        #expect(try fixture.states("shipping") == ["ready", "ready", "ready"])
        let again = try fixture.bus.claim(subscription: "billing", limit: 10, leaseFor: .seconds(60), now: Self.at(6))
        #expect(again.map(\.message.body) == ["m2", "m0", "m1"])  // released ones are visible from 6, after m2's 2
        #expect(again.filter { $0.message.body != "m2" }.map(\.attempt) == [2, 2])
        #expect(try fixture.bus.settle(leases.map { .done($0) }, now: Self.at(7)) == leases.map(\.token))
        #expect(try fixture.bus.releaseAllLeases(now: Self.at(8)) == 3)
        #expect(try fixture.bus.releaseAllLeases(now: Self.at(8)) == 0)
    }

    // MARK: nextDeadline

    @Test func nextDeadline_isNilWhenNothingIsScheduled() throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "shipping"], now: Self.at(0)) == nil)
        // Due now is not "scheduled": the consumer claims it in the pass it is in.
        try fixture.publish("orders", "m", at: Self.at(0))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "shipping"], now: Self.at(0)) == nil)
        // Done and dead deliveries schedule nothing.
        let billing = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(60), now: Self.at(1))[0]
        let shipping = try fixture.bus.claim(subscription: "shipping", limit: 1, leaseFor: .seconds(60), now: Self.at(1))[0]
        try fixture.bus.settle([.done(billing), .dead(shipping)], now: Self.at(2))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "shipping"], now: Self.at(2)) == nil)
    }

    @Test func nextDeadline_isTheEarliestFutureVisibilityOrLeaseExpiry() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "future", at: Self.at(50))  // published for later: visible at 50
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(0)) == Self.at(50))

        try fixture.publish("orders", "retried", at: Self.at(0))
        let lease = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(100), now: Self.at(1))[0]
        #expect(lease.message.body == "retried")
        // The lease expires at 101, later than 50.
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(2)) == Self.at(50))
        try fixture.bus.settle([.retry(lease, after: .seconds(20))], now: Self.at(2))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(2)) == Self.at(22))

        // A lease that runs out sooner than anything becomes visible.
        try fixture.publish("orders", "short", at: Self.at(0))
        let short = try fixture.bus.claim(subscription: "shipping", limit: 1, leaseFor: .seconds(5), now: Self.at(3))[0]
        #expect(short.message.body == "retried")  // shipping's oldest visible one
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "shipping"], now: Self.at(3)) == Self.at(22))  // held here
        fixture.database.heldLeases.letGo([short.token])  // given up by its holder
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "shipping"], now: Self.at(3)) == Self.at(8))
    }

    @Test func nextDeadline_onlyCountsVisibilityOfTheGivenSubscriptions() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "later", at: Self.at(30))
        try fixture.publish("events", "{}", at: Self.at(10))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(0)) == Self.at(30))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing", "audit"], now: Self.at(0)) == Self.at(10))
        #expect(try fixture.bus.nextDeadline(subscriptions: [], now: Self.at(0)) == nil)
    }

    @Test func nextDeadline_reportsAnOverdueLeaseSoTheConsumerExpiresItAtOnce() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "m", at: Self.at(0))
        let lease = try fixture.bus.claim(subscription: "billing", limit: 1, leaseFor: .seconds(10), now: Self.at(0))[0]
        // Held by this process, its lease sets no deadline: it is not expired.
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(20)) == nil)
        fixture.database.heldLeases.letGo([lease.token])
        // Given up: past the expiry and before expireLeases ran, the expiry (in the past) is still the deadline.
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(20)) == Self.at(10))
        try fixture.bus.expireLeases(now: Self.at(20))
        #expect(try fixture.bus.nextDeadline(subscriptions: ["billing"], now: Self.at(20)) == nil)
    }
}
