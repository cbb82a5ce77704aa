import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct ObjectIndexQueryTests {
    typealias Fixture = ObjectIndexFixture

    /// Keys whose bytes sort right around "photos/2024/": `%` and `_` (LIKE's wildcards), a `/`
    /// and what sorts just after it (`0`), multi-byte characters, and the largest scalar.
    static let keys = [
        "photos/2024/a.png", "photos/2024/100%.png", "photos/2024/_/x.png", "photos/2024/日本/1.png",
        "photos/2024/\u{10FFFF}", "photos/2024/😀.png", "photos/2024", "photos/2024%/a", "photos/2024_/a",
        "photos/20240/a", "photos/2023/z.png", "photos/20245", "photos/2024\u{10FFFF}", "photos0", "a", "日本語/1",
        "日本/2", "日/3",
    ]

    static func fixture() throws -> Fixture {
        let fixture = try Fixture()
        let changes = keys.enumerated().map { Fixture.put($0.element, Fixture.version(Int64($0.offset))) }
            + [Fixture.put("photos/2024/a.png", Fixture.version(99), bucket: "transcoded")]
        try fixture.index.record(changes, now: BusFixture.t0, messages: { _ in [] })
        return fixture
    }

    @Test(arguments: [
        ("photos/2024/", ["photos/2024/a.png", "photos/2024/100%.png", "photos/2024/_/x.png", "photos/2024/日本/1.png", "photos/2024/\u{10FFFF}", "photos/2024/😀.png"]),
        ("photos/2024%", ["photos/2024%/a"]),
        ("photos/2024_", ["photos/2024_/a"]),
        ("photos/2024/_", ["photos/2024/_/x.png"]),
        ("photos/2024/1", ["photos/2024/100%.png"]),
        ("photos/2024/日", ["photos/2024/日本/1.png"]),
        ("photos/2024/\u{10FFFF}", ["photos/2024/\u{10FFFF}"]),
        ("日本", ["日本語/1", "日本/2"]),
        ("日", ["日本語/1", "日本/2", "日/3"]),
        ("photos/2024/b", []),
        ("zzz", []),
        ("photos/2024/a.png/", []),
    ])
    func objects_underAPrefix_areTheKeysStartingWithItsBytes(_ prefix: String, _ expected: [String]) throws {
        let fixture = try Self.fixture()
        let objects = try fixture.index.objects(in: "uploads", under: prefix)
        #expect(objects.keys.map(\.string).sorted() == expected.sorted())
        for key in expected {
            let offset = try #require(Self.keys.firstIndex(of: key))
            #expect(objects[ByteExactKey(key)]?.version == Fixture.version(Int64(offset)))
        }
    }

    @Test func objects_withoutAPrefix_areTheWholeBucket_andOnlyIt() throws {
        let fixture = try Self.fixture()
        #expect(try fixture.index.objects(in: "uploads").keys.map(\.string).sorted() == Self.keys.sorted())
        #expect(try fixture.index.objects(in: "transcoded") == [
            "photos/2024/a.png": IndexedObject(version: Fixture.version(99), sequencer: Fixture.t0Micros + Int64(Self.keys.count)),
        ])
        #expect(try fixture.index.objects(in: "missing").isEmpty)
        #expect(try fixture.index.count(in: "uploads") == Self.keys.count)
        #expect(try fixture.index.count(in: "transcoded") == 1)
        #expect(try fixture.index.count(in: "missing") == 0)
    }

    /// Like S3 and the file system, and unlike Swift's `==`, keys compare by bytes: a precomposed
    /// "é" prefix does not take a decomposed "é" key.
    @Test func objects_underAPrefix_compareKeysByBytes_notByCanonicalEquivalence() throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("caf\u{E9}/1", Fixture.version(1)), Fixture.put("cafe\u{301}/2", Fixture.version(2)))
        let precomposed = try fixture.index.objects(in: "uploads", under: "caf\u{E9}/")
        #expect(precomposed.keys.map { Array($0.string.utf8) } == [Array("caf\u{E9}/1".utf8)])
        let decomposed = try fixture.index.objects(in: "uploads", under: "cafe\u{301}")
        #expect(decomposed.keys.map { Array($0.string.utf8) } == [Array("cafe\u{301}/2".utf8)])
    }

    /// Two keys Swift's `==` takes for one are two objects, each with its own version.
    @Test func objects_canonicallyEquivalentKeys_areTwoObjects() throws {
        let fixture = try Fixture()
        try fixture.record(Fixture.put("caf\u{E9}", Fixture.version(1)), Fixture.put("cafe\u{301}", Fixture.version(2)))
        let objects = try fixture.index.objects(in: "uploads")
        #expect(objects.count == 2)
        #expect(objects[ByteExactKey("caf\u{E9}")]?.version == Fixture.version(1))
        #expect(objects[ByteExactKey("cafe\u{301}")]?.version == Fixture.version(2))
    }

    @Test(arguments: [UInt64(0), UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max])
    func inode_roundTrips_includingAboveInt64Max(_ inode: UInt64) throws {
        let fixture = try Fixture()
        let version = Fixture.version(1, inode: inode)
        try fixture.record(Fixture.put("a.png", version))
        #expect(try fixture.index.objects(in: "uploads")["a.png"]?.version == version)
        // Read back equal, so the same file again is no change.
        #expect(try fixture.record(Fixture.put("a.png", version)).isEmpty)
        #expect(try fixture.store.scalar("SELECT inode FROM objects") == Int(Int64(bitPattern: inode)))
    }

    @Test func objectsQuery_readsOneRangeOfThePrimaryKey_withoutSorting() throws {
        let fixture = try Self.fixture()
        let plan = try BusSQLTests.plan(fixture.store, ObjectIndex.objectsFromKeySQL, ["uploads", "photos/"])
        #expect(plan == ["SEARCH objects USING PRIMARY KEY (bucket=? AND key>?)"], "plan: \(plan)")
        let count = try BusSQLTests.plan(fixture.store, ObjectIndex.countSQL, ["uploads"])
        #expect(count.allSatisfy { $0.contains("USING PRIMARY KEY (bucket=?)") }, "plan: \(count)")
    }
}
