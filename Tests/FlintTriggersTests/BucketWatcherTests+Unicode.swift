import FlintCore
import FlintStore
import FlintTriggers
import Foundation
import Testing

/// Names that Swift's `==` takes for one (canonically equivalent) but the file system keeps
/// apart: a precomposed `é` and `e` + combining accent. Each is its own object, at a scan as
/// while watching.
extension BucketWatcherTests {
    static let precomposed = "caf\u{E9}.txt"
    static let decomposed = "cafe\u{301}.txt"

    /// Writes `text` to the file whose path is `path`'s UTF-8 exactly, as a program on Linux would.
    static func writeExactly(_ path: String, _ text: String) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0, "open \(path): \(String(cString: strerror(errno)))")
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        try #require(written == text.utf8.count)
    }

    /// The keys of `changes` of `kind`, as their bytes.
    static func byteKeys(_ fixture: BucketWatcherFixture, _ kind: BucketTrigger.EventKind) -> [[UInt8]] {
        fixture.keys(kind).map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    @Test func canonicallyEquivalentNames_areTwoObjects_atAScanAndAfterIt() async throws {
        let fixture = try BucketWatcherFixture()
        try FileManager.default.createDirectory(atPath: fixture.path("uploads", ""), withIntermediateDirectories: true)
        try Self.writeExactly(fixture.path("uploads", Self.precomposed), "one")
        try Self.writeExactly(fixture.path("uploads", Self.decomposed), "two")
        try await fixture.start(["uploads"])
        await fixture.stop()
        let both = [Array(Self.decomposed.utf8), Array(Self.precomposed.utf8)]
        #expect(Self.byteKeys(fixture, .created) == both)
        #expect(try fixture.index.objects(in: "uploads").count == 2)

        // While nobody watches: one changes, the other goes. The scan tells them apart.
        let before = fixture.changes.count
        try Self.writeExactly(fixture.path("uploads", Self.decomposed), "two, longer")
        #expect(unlink(fixture.path("uploads", Self.precomposed)) == 0)
        try await fixture.start(["uploads"])
        await fixture.stop()
        let after = Array(fixture.changes.dropFirst(before))
        #expect(after.map { Array($0.key.utf8) } == [Array(Self.decomposed.utf8), Array(Self.precomposed.utf8)])
        #expect(after.map(\.eventKind) == [.created, .removed])
        #expect(after.first?.version?.size == 11)

        // A restart with nothing changed records nothing.
        try await fixture.start(["uploads"])
        await fixture.stop()
        #expect(fixture.changes.count == before + 2)
    }

    /// Directories too: renaming one of two such directories moves only its own watch.
    @Test func canonicallyEquivalentDirectories_areWatchedApart() async throws {
        let fixture = try BucketWatcherFixture()
        let bucket = fixture.path("uploads", "")
        try FileManager.default.createDirectory(atPath: bucket, withIntermediateDirectories: true)
        #expect(mkdir(bucket + "caf\u{E9}", 0o755) == 0)
        #expect(mkdir(bucket + "cafe\u{301}", 0o755) == 0)
        try await fixture.start(["uploads"])
        await fixture.watcher?.watching()
        #expect(rename(bucket + "caf\u{E9}", bucket + "renamed") == 0)
        try Self.writeExactly(bucket + "cafe\u{301}/x", "x")
        try Self.writeExactly(bucket + "renamed/y", "y")
        try await fixture.eventually { fixture.changes.count >= 2 }
        try await Task.sleep(for: .milliseconds(200))
        await fixture.stop()
        #expect(Self.byteKeys(fixture, .created) == [Array("cafe\u{301}/x".utf8), Array("renamed/y".utf8)])
    }
}
