import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Synchronization
import Testing

/// The transaction that records a bucket's changes also claims their events for the slots their
/// trigger had free (`ObjectIndex.record(_:now:claiming:messages:)`).
@Suite struct ObjectIndexClaimTests {
    typealias Fixture = ObjectIndexFixture

    static func claim(limit: Int, wanted: @escaping @Sendable () -> Bool = { true }) -> NextClaim {
        NextClaim(subscription: Fixture.topic, function: "thumbnail", leaseFor: .seconds(60), limit: limit, wanted: wanted)
    }

    static func states(_ fixture: Fixture) throws -> [String] {
        try fixture.store.strings("SELECT state FROM deliveries ORDER BY id")
    }

    @Test func record_claimsWhatItPublishes_upToTheClaimsLimit_oldestFirst() throws {
        let fixture = try Fixture()
        let result = try fixture.index.record(
            [Fixture.put("a.png", Fixture.version(1)), Fixture.put("b.png", Fixture.version(2)), Fixture.put("c.png", Fixture.version(3))],
            now: BusFixture.t0, claiming: [Self.claim(limit: 2)], messages: { Fixture.event($0) })

        #expect(result.recorded.count == 3)
        let leases = try #require(result.claimed.first)
        #expect(result.claimed.count == 1)
        // Fanned out in the same transaction: the first two events, leased; the third waits.
        #expect(leases.map { $0.message.body.contains("a.png") } == [true, false])
        #expect(leases.map { $0.message.body.contains("b.png") } == [false, true])
        #expect(leases.allSatisfy { $0.attempt == 1 && $0.firstReceivedAt == BusFixture.t0 })
        #expect(try Self.states(fixture) == ["leased", "leased", "ready"])
        #expect(fixture.store.database.heldLeases.count == 2, "held from the commit on, as the consumer's claims are")
    }

    @Test func record_claimsNothing_whenTheClaimIsNoLongerWanted() throws {
        let fixture = try Fixture()
        let result = try fixture.index.record(
            [Fixture.put("a.png", Fixture.version(1))], now: BusFixture.t0, claiming: [Self.claim(limit: 1, wanted: { false })],
            messages: { Fixture.event($0) })
        #expect(result.claimed.map(\.count) == [0])
        #expect(try Self.states(fixture) == ["ready"], "fanned out, and left for the consumer")
    }

    @Test func record_ofChangesTheIndexHoldsAlready_claimsNothing() throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("a.png", Fixture.version(1)))
        let result = try fixture.index.record(
            [Fixture.put("a.png", Fixture.version(1))], now: BusFixture.t0, claiming: [Self.claim(limit: 1)], messages: { Fixture.event($0) })
        #expect(result.recorded.isEmpty)
        #expect(result.claimed.map(\.count) == [0])
    }

    /// Counts the commits the bus consumer hears of.
    final class Wakes: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        init(_ database: FlintDatabase) { database.onBusCommit { [self] in count.withLock { $0 += 1 } } }
    }

    static func record(_ fixture: Fixture, _ keys: [String], claiming claims: [NextClaim]) throws -> [[Lease]] {
        let changes = keys.enumerated().map { Fixture.put($1, Fixture.version(Int64($0 + 1), inode: UInt64($0 + 1))) }
        return try fixture.index.record(changes, now: BusFixture.t0, claiming: claims, messages: { Fixture.event($0) }).claimed
    }

    /// A commit that claims everything it publishes, with nothing else due, wakes no one: the
    /// events start in the publisher's slots. One that leaves anything due wakes the consumer.
    @Test func aCommitThatClaimsAllItPublishes_isQuiet_andOneThatLeavesWorkIsNot() throws {
        let fixture = try Fixture()
        let wakes = Wakes(fixture.store.database)

        #expect(try Self.record(fixture, ["a.png", "b.png"], claiming: [Self.claim(limit: 2)]).map(\.count) == [2])
        #expect(wakes.value == 0, "the commit that claimed all it published woke the consumer")

        #expect(try Self.record(fixture, ["c.png", "d.png"], claiming: [Self.claim(limit: 1)]).map(\.count) == [1])
        #expect(wakes.value == 1, "an event left for the consumer did not wake it")

        // d.png waits: a claim for one new event takes the older one, and leaves the new one due.
        #expect(try Self.record(fixture, ["e.png"], claiming: [Self.claim(limit: 1)]).first?.first?.message.body.contains("d.png") == true)
        #expect(wakes.value == 2, "the event left behind an older one did not wake the consumer")

        _ = try Self.record(fixture, ["f.png"], claiming: [Self.claim(limit: 1, wanted: { false })])
        #expect(wakes.value == 3, "an event no claim took did not wake the consumer")

        _ = try Self.record(fixture, ["g.png"], claiming: [])
        #expect(wakes.value == 4)
        // Without a claim, the event is published for the consumer's claim to fan out.
        #expect(try fixture.store.strings("SELECT state FROM deliveries ORDER BY id") == ["leased", "leased", "leased", "leased", "ready", "ready"])
    }

    /// Events no subscription receives (a trigger a reload is taking away, say) are fanned out
    /// past in the transaction that publishes them, which commits anyway, rather than left to
    /// gather for the consumer: the commit is quiet, and the fan-out's cursor is past them.
    @Test func eventsNobodyReceives_areFannedOutPast_inTheirOwnTransaction_quietly() throws {
        let unheard = "unheard"
        var topology = Fixture.topology
        topology.topics[unheard] = .json
        let store = try BusFixture(topology)
        let index = ObjectIndex(database: store.database)
        let wakes = Wakes(store.database)

        let result = try index.record(
            [Fixture.put("a.png", Fixture.version(1)), Fixture.put("b.png", Fixture.version(2))], now: BusFixture.t0,
            claiming: [Self.claim(limit: 2)], messages: { Fixture.event($0, topic: unheard) })

        #expect(result.recorded.count == 2)
        #expect(result.claimed.map(\.count) == [0])
        #expect(try store.scalar("SELECT count(*) FROM deliveries") == 0)
        #expect(try store.scalar("SELECT through_message FROM fan_out_cursor") == store.scalar("SELECT max(id) FROM messages"))
        #expect(wakes.value == 0, "the consumer was woken for events nobody receives")
    }
}
