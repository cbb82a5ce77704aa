import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// An object index on a fresh database whose bus has one bucket trigger's topic.
final class ObjectIndexFixture {
    let store: BusFixture
    let index: ObjectIndex

    static let topic = BusTopology.bucketTopic("thumbnails")
    static let topology = BusTopology(
        topics: [topic: .json],
        subscriptions: [.init(name: topic, topic: topic, function: "thumbnail", origin: .bucket(trigger: "thumbnails"))]
    )

    init() throws {
        store = try BusFixture(Self.topology)
        index = ObjectIndex(database: store.database)
    }

    static func version(_ n: Int64, inode: UInt64 = 7) -> ObjectVersion {
        ObjectVersion(size: n, modifiedAtNanos: 1_750_000_000_000_000_000 + n, inode: inode, eTag: "etag-\(n)")
    }

    static func put(_ key: String, _ version: ObjectVersion, bucket: String = "uploads") -> ObjectChange {
        ObjectChange(bucket: bucket, key: key, kind: .put(version))
    }

    static func removed(_ key: String, bucket: String = "uploads") -> ObjectChange {
        ObjectChange(bucket: bucket, key: key, kind: .removed)
    }

    /// What the tests publish for a recorded change: `created KEY SEQUENCER`, as JSON.
    static func event(_ recorded: RecordedChange, topic: String = ObjectIndexFixture.topic) -> [OutgoingMessage] {
        let body = ["event": "\(recorded.change.eventKind.rawValue) \(recorded.change.key) \(recorded.sequencer)"]
        let json = (try? JSONEncoder().encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return [OutgoingMessage(topic: topic, body: json)]
    }

    @discardableResult
    func record(_ changes: ObjectChange..., at now: Date = BusFixture.t0) throws -> [RecordedChange] {
        try index.record(changes, now: now, messages: { Self.event($0) })
    }

    /// The `event` field of every published message, in publishing order.
    func events() throws -> [String] {
        try store.strings("SELECT body ->> '$.event' FROM messages ORDER BY id")
    }

    static let t0Micros = EpochMicros.from(BusFixture.t0)
}

@Suite struct ObjectIndexRecordTests {
    typealias Fixture = ObjectIndexFixture

    @Test func record_newObjects_storesTheirRows_andPublishesTheirEventsInOrder() throws {
        let fixture = try Fixture()
        let recorded = try fixture.record(Fixture.put("a.png", Fixture.version(1)), Fixture.put("b.png", Fixture.version(2)))
        let t = Fixture.t0Micros
        #expect(recorded.map(\.sequencer) == [t, t + 1])
        #expect(recorded.map(\.change.key) == ["a.png", "b.png"])
        #expect(try fixture.events() == ["created a.png \(t)", "created b.png \(t + 1)"])
        // The messages went through the bus: each has its delivery to the trigger's function.
        #expect(try fixture.store.bus.fanOut() == 2)
        #expect(try fixture.store.strings("SELECT function FROM deliveries ORDER BY id") == ["thumbnail", "thumbnail"])
        #expect(try fixture.index.objects(in: "uploads") == [
            "a.png": IndexedObject(version: Fixture.version(1), sequencer: t),
            "b.png": IndexedObject(version: Fixture.version(2), sequencer: t + 1),
        ])
    }

    @Test func record_theIndexedVersionAgain_isSkipped_whetherPutOrMoved() throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("a.png", Fixture.version(1)))
        // A rescan, a duplicate inotify event, and the same in one batch: nothing new.
        #expect(try fixture.record(Fixture.put("a.png", Fixture.version(1))).isEmpty)
        #expect(try fixture.record(ObjectChange(bucket: "uploads", key: "a.png", kind: .moved(Fixture.version(1)))).isEmpty)
        let batch = try fixture.record(Fixture.put("b.png", Fixture.version(2)), Fixture.put("b.png", Fixture.version(2)))
        #expect(batch.map(\.change.key) == ["b.png"])
        #expect(try fixture.store.scalar("SELECT count(*) FROM messages") == 2)
    }

    static let changedVersions: [ObjectVersion] = {
        let base = ObjectIndexFixture.version(1)
        var size = base, modified = base, inode = base, eTag = base
        size.size += 1
        modified.modifiedAtNanos += 1
        inode.inode += 1
        eTag.eTag = "other"
        return [size, modified, inode, eTag]
    }()

    @Test(arguments: changedVersions)
    func record_aVersionDifferingInAnyField_isRecorded(_ changed: ObjectVersion) throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("a.png", Fixture.version(1)))
        let recorded = try fixture.record(Fixture.put("a.png", changed), at: BusFixture.t0.addingTimeInterval(1))
        #expect(recorded.map(\.change.version) == [changed])
        #expect(try fixture.index.objects(in: "uploads")["a.png"]?.version == changed)
        #expect(try fixture.store.scalar("SELECT count(*) FROM messages") == 2)
    }

    @Test func record_removalOfAnUnknownKey_isSkipped_andOfAKnownOne_deletesItsRowOnce() throws {
        let fixture = try Fixture()
        #expect(try fixture.record(Fixture.removed("ghost.png")).isEmpty)
        try fixture.record(Fixture.put("a.png", Fixture.version(1)))
        // The same key in another bucket is another object.
        #expect(try fixture.record(Fixture.removed("a.png", bucket: "transcoded")).isEmpty)

        let removal = try fixture.record(Fixture.removed("a.png"), Fixture.removed("a.png"))
        #expect(removal.map(\.change) == [Fixture.removed("a.png")])
        #expect(try fixture.index.objects(in: "uploads").isEmpty)
        #expect(try fixture.record(Fixture.removed("a.png")).isEmpty)
        let t = Fixture.t0Micros
        #expect(try fixture.events() == ["created a.png \(t)", "removed a.png \(t + 1)"])
    }

    @Test func record_sequencersGrow_acrossRemovalAndRecreation_restarts_andAClockSteppedBack() throws {
        let fixture = try Fixture()
        let first = try fixture.record(
            Fixture.put("a.png", Fixture.version(1)), Fixture.removed("a.png"), Fixture.put("a.png", Fixture.version(1)),
            Fixture.removed("a.png")
        )
        let t = Fixture.t0Micros
        #expect(first.map(\.sequencer) == [t, t + 1, t + 2, t + 3])
        // The newest sequencer belonged to a removal: no row holds it any more.
        #expect(try fixture.store.scalar("SELECT count(*) FROM objects") == 0)

        // Another index on the same file (a restart), an hour earlier by the clock.
        let reopened = ObjectIndex(database: try FlintDatabase(path: fixture.store.path))
        let afterRestart = try reopened.record(
            [Fixture.put("a.png", Fixture.version(1)), Fixture.put("z.png", Fixture.version(9), bucket: "transcoded")],
            now: BusFixture.t0.addingTimeInterval(-3600), messages: { Fixture.event($0) }
        )
        #expect(afterRestart.map(\.sequencer) == [t + 4, t + 5])

        // A clock ahead of the last sequencer gives the time itself.
        let later = try fixture.record(Fixture.removed("a.png"), at: BusFixture.t0.addingTimeInterval(60))
        #expect(later.map(\.sequencer) == [t + 60_000_000])
    }

    @Test func sequencer_isTheTime_unlessThatIsNotAfterTheLastOne() {
        #expect(ObjectSequencer.next(after: 0, now: 1_000) == 1_000)
        #expect(ObjectSequencer.next(after: 1_000, now: 1_000) == 1_001)
        #expect(ObjectSequencer.next(after: 5_000, now: 1_000) == 5_001)
    }

    @Test func record_whoseMessagesAreRefused_storesNothingOfTheBatch() throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("kept.png", Fixture.version(1)))
        let batch = [Fixture.put("a.png", Fixture.version(2)), Fixture.removed("kept.png"), Fixture.put("b.png", Fixture.version(3))]
        #expect(throws: BusError.unknownTopic("deleted-topic", known: [])) {
            try fixture.index.record(batch, now: BusFixture.t0) { recorded in
                Fixture.event(recorded, topic: recorded.change.key == "b.png" ? "deleted-topic" : Fixture.topic)
            }
        }
        #expect(try fixture.index.objects(in: "uploads").keys.sorted() == ["kept.png"])
        #expect(try fixture.store.scalar("SELECT count(*) FROM messages") == 1)

        // The sequencers the failed batch took were rolled back with it.
        let retried = try fixture.index.record(batch, now: BusFixture.t0) { Fixture.event($0) }
        let t = Fixture.t0Micros
        #expect(retried.map(\.sequencer) == [t + 1, t + 2, t + 3])
        #expect(try fixture.index.objects(in: "uploads").keys.sorted() == ["a.png", "b.png"])
        #expect(try fixture.events() == [
            "created kept.png \(t)", "created a.png \(t + 1)", "removed kept.png \(t + 2)", "created b.png \(t + 3)",
        ])
    }

    @Test func record_ofNothingNew_writesNothing() throws {
        let fixture = try Fixture()
        #expect(try fixture.index.record([], messages: { _ in Issue.record("no change, no event"); return [] }).isEmpty)
        #expect(try fixture.record(Fixture.removed("ghost.png")).isEmpty)
        #expect(try fixture.store.scalar("SELECT count(*) FROM object_sequencer") == 0)
    }

    @Test func record_delete_usesPrimaryKey() throws {
        let fixture = try Fixture()
        let plan = try BusSQLTests.plan(fixture.store, ObjectIndex.deleteSQL, ["uploads", "a.png"])
        #expect(plan.allSatisfy { $0.contains("USING PRIMARY KEY (bucket=? AND key=?)") }, "plan: \(plan)")
    }
}
