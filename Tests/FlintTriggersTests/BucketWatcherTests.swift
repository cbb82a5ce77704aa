import FlintCore
import FlintTriggers
import Foundation
import Testing

/// The watcher against real directories, real inotify and a real object index. Serialized:
/// libinotifytools keeps one process-wide instance, which one watcher at a time may read.
@Suite(.serialized) struct BucketWatcherTests {
    @Test func startUpScan_indexesWhatIsThere_andARescanRecordsNothing() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "a.txt", "a")
        try fixture.write("uploads", "deep/er/b.txt", "b")
        try fixture.write("uploads", ".hidden", "h")
        try await fixture.start(["uploads"])
        await fixture.stop()
        #expect(fixture.keys(.created).sorted() == ["a.txt", "deep/er/b.txt"])

        try await fixture.start(["uploads"])
        await fixture.stop()
        #expect(fixture.changes.count == 2)
    }

    @Test func directoryMovedOut_removesItsObjects_andMovedIn_createsThem() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "album/one.jpg", "1")
        try fixture.write("uploads", "album/two/three.jpg", "3")
        try await fixture.start(["uploads"])

        let outside = fixture.directory + "/outside"
        try FileManager.default.moveItem(atPath: fixture.path("uploads", "album"), toPath: outside)
        try await fixture.eventually { fixture.keys(.removed).count == 2 }
        #expect(fixture.keys(.removed).sorted() == ["album/one.jpg", "album/two/three.jpg"])

        // Writing into the directory now outside the bucket fires nothing.
        try Data("x".utf8).write(to: URL(fileURLWithPath: outside + "/two/four.jpg"))
        try FileManager.default.moveItem(atPath: outside, toPath: fixture.path("uploads", "back"))
        try await fixture.eventually { fixture.keys(.created).contains("back/two/four.jpg") }
        let moved = fixture.changes.filter { $0.key.hasPrefix("back/") }
        #expect(moved.map(\.key).sorted() == ["back/one.jpg", "back/two/four.jpg", "back/two/three.jpg"])
        #expect(moved.allSatisfy { if case .moved = $0.kind { true } else { false } })
        #expect(!fixture.changes.contains { $0.key.contains("four") && !$0.key.hasPrefix("back/") })
        await fixture.stop()
    }

    @Test func directoryRenamedInside_eventsFollowItsNewName() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        try fixture.write("uploads", "old/a.txt", "a")
        try await fixture.eventually { fixture.keys(.created).contains("old/a.txt") }

        try FileManager.default.moveItem(atPath: fixture.path("uploads", "old"), toPath: fixture.path("uploads", "new"))
        try await fixture.eventually { fixture.keys(.created).contains("new/a.txt") }
        // The old directory's watch now reports under the new name.
        try fixture.write("uploads", "new/b.txt", "b")
        try await fixture.eventually { fixture.keys(.created).contains("new/b.txt") }
        #expect(fixture.keys(.removed) == ["old/a.txt"])
        #expect(!fixture.changes.contains { $0.key == "old/b.txt" })
        await fixture.stop()
    }

    @Test func fifosSymlinksAndNonUTF8Names_areNotObjects_andDoNotStopTheWatcher() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        let bucket = fixture.path("uploads", "")
        #expect(mkfifo(bucket + "pipe", 0o644) == 0)
        #expect(symlink("/etc/hostname", bucket + "link") == 0)
        // A name that is not UTF-8 (0xFF): no key can name it.
        let invalid = Array(bucket.utf8) + [0x66, 0xFF, 0]
        let fd = invalid.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        try fixture.write("uploads", "marker", "m")
        try await fixture.eventually { fixture.keys(.created).contains("marker") }
        #expect(fixture.keys(.created) == ["marker"])
        await fixture.stop()
    }

    @Test func stop_returnsPromptly_whileNothingHappens() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        let started = ContinuousClock.now
        await fixture.stop()
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    /// A hard link has no close to wait for: its creation is its arrival.
    @Test func aHardLinkIntoTheBucket_isCreated() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        let outside = fixture.directory + "/outside.txt"
        try Data("linked".utf8).write(to: URL(fileURLWithPath: outside))
        #expect(link(outside, fixture.path("uploads", "linked.txt")) == 0)
        try await fixture.eventually { fixture.keys(.created).contains("linked.txt") }
        #expect(fixture.changes.first?.version?.size == 6)
        await fixture.stop()
    }

    @Test func watching_returnsOnceEveryDirectoryIsWatched() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "deep/tree/file", "x")
        try await fixture.start(["uploads"])
        await fixture.watcher?.watching()
        try fixture.write("uploads", "deep/tree/new", "y")
        try await fixture.eventually { fixture.keys(.created).contains("deep/tree/new") }
        await fixture.stop()
    }
}
