import FlintCore
@testable import FlintStore
import Foundation
import GRDB
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
}
