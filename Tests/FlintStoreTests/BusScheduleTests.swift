import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct BusScheduleTests {
    static func at(_ seconds: Double) -> Date { BusFixture.t0.addingTimeInterval(seconds) }

    static let topology = BusTopology(
        topics: ["flint.schedule.nightly": .json],
        subscriptions: [.init(name: "flint.schedule.nightly", topic: "flint.schedule.nightly", function: "report")]
    )

    static func tick(_ id: String, body: String = #"{"detail-type":"Scheduled Event"}"#) -> OutgoingMessage {
        OutgoingMessage(
            topic: "flint.schedule.nightly", body: body, messageID: id, origin: MessageOrigin(source: .schedule, trigger: "nightly")
        )
    }

    @Test func lastTick_ofATriggerThatNeverTicked_isNil() throws {
        let fixture = try BusFixture(Self.topology)
        #expect(try fixture.bus.lastTick(trigger: "nightly") == nil)
    }

    @Test func markTick_recordsTheFirstStart_andNeverOverwritesIt() throws {
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(60))
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(60))
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(120))
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(0))
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(60))
        #expect(try fixture.bus.lastTick(trigger: "other") == nil)
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
    }

    @Test func publishTick_writesTheMessageAndTheTickTogether() throws {
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(0))
        try fixture.bus.publishTick(trigger: "nightly", at: Self.at(86_400), message: Self.tick("tick-1"), now: Self.at(86_400.5))
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(86_400))
        let lease = try #require(
            try fixture.bus.claim(subscription: "flint.schedule.nightly", limit: 10, leaseFor: .seconds(60), now: Self.at(86_401)).first
        )
        #expect(lease.message.messageID == "tick-1")
        #expect(lease.message.origin == MessageOrigin(source: .schedule, trigger: "nightly"))
        #expect(lease.message.publishedAt == Self.at(86_400.5))

        // The next tick moves it on (a later markTick still does not).
        try fixture.bus.publishTick(trigger: "nightly", at: Self.at(2 * 86_400), message: Self.tick("tick-2"), now: Self.at(2 * 86_400))
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(3 * 86_400))
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(2 * 86_400))
        #expect(try fixture.strings("SELECT message_id FROM messages ORDER BY id") == ["tick-1", "tick-2"])
    }

    @Test func publishTick_ofATickAlreadyRecorded_publishesNothing() throws {
        // Two schedule sources overlap for a moment during a reload: the second to fire a tick
        // finds it recorded and does not run the function again.
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(0))
        #expect(try fixture.bus.publishTick(trigger: "nightly", at: Self.at(60), message: Self.tick("first"), now: Self.at(60)))
        #expect(try fixture.bus.publishTick(trigger: "nightly", at: Self.at(60), message: Self.tick("again"), now: Self.at(60.1)) == false)
        #expect(try fixture.bus.publishTick(trigger: "nightly", at: Self.at(30), message: Self.tick("older"), now: Self.at(60.2)) == false)
        #expect(try fixture.strings("SELECT message_id FROM messages ORDER BY id") == ["first"])
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(60))
    }

    @Test func publishTick_whoseMessageIsRefused_recordsNoTick() throws {
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(0))
        #expect(throws: BusError.notJSON(topic: "flint.schedule.nightly")) {
            try fixture.bus.publishTick(trigger: "nightly", at: Self.at(60), message: Self.tick("bad", body: "not json"), now: Self.at(60))
        }
        var unknown = Self.tick("lost")
        unknown.topic = "flint.schedule.gone"
        #expect(throws: BusError.unknownTopic("flint.schedule.gone", known: [])) {
            try fixture.bus.publishTick(trigger: "nightly", at: Self.at(60), message: unknown, now: Self.at(60))
        }
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(0))
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
    }

    @Test func publishTick_withTheSameMessageIDTwice_failsWithoutMovingTheTick() throws {
        // A tick fired twice (same id) must not be stored twice nor advance the schedule silently.
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.publishTick(trigger: "nightly", at: Self.at(60), message: Self.tick("same"), now: Self.at(60))
        #expect(throws: (any Error).self) {
            try fixture.bus.publishTick(trigger: "nightly", at: Self.at(120), message: Self.tick("same"), now: Self.at(120))
        }
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(60))
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 1)
    }

    @Test func markTick_replacing_recordsTheRule_andForgetSchedules_dropsTheOthers() throws {
        let fixture = try BusFixture(Self.topology)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(60))
        #expect(try fixture.bus.scheduleMark(trigger: "nightly")?.rule == nil)
        try fixture.bus.markTick(trigger: "nightly", at: Self.at(120), rule: "cron: 0 3 * * *", replacing: true)
        let mark = try #require(try fixture.bus.scheduleMark(trigger: "nightly"))
        #expect(mark.tick == Self.at(120))
        #expect(mark.rule == "cron: 0 3 * * *")
        try fixture.bus.markTick(trigger: "hourly", at: Self.at(0))
        try fixture.bus.forgetSchedules(except: ["nightly"])
        #expect(try fixture.bus.lastTick(trigger: "hourly") == nil)
        #expect(try fixture.bus.lastTick(trigger: "nightly") == Self.at(120))
        try fixture.bus.forgetSchedules(except: [])
        #expect(try fixture.bus.lastTick(trigger: "nightly") == nil)
    }
}
