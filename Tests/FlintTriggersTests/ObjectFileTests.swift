import FlintCore
@testable import FlintTriggers
import Foundation
import Testing

/// Reading an object never leaves its bucket through a symlink, wherever on the key's path it is.
@Suite struct ObjectFileTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("flint-object-\(UUID().uuidString)").path
    var bucket: String { root + "/uploads" }

    init() throws {
        try FileManager.default.createDirectory(atPath: bucket + "/real/deeper", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/outside/deeper", withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: bucket + "/real/deeper/a.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/outside/deeper/a.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/outside/b.txt"))
    }

    @Test func aFileInsideTheBucket_isRead() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let version = try #require(readVersion(key: "real/deeper/a.txt"))
        #expect(version.size == 6)
        #expect(version.eTag == "335cf4508dd597be4bfc9caa3e08b901")
    }

    @Test func aSymlinkedDirectoryOnTheWay_orAtTheEnd_isNeverFollowed() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(symlink(root + "/outside", bucket + "/swapped") == 0)
        #expect(symlink(root + "/outside/b.txt", bucket + "/real/b.txt") == 0)
        #expect(readVersion(key: "swapped/deeper/a.txt") == nil)
        #expect(readVersion(key: "swapped/b.txt") == nil)
        #expect(readVersion(key: "real/b.txt") == nil)
        #expect(readVersion(key: "../outside/b.txt") == nil)
    }

    @Test func whatIsNotThere_isAbsent_butWhatCannotBeReadNow_isNoRemoval() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(symlink(root + "/outside/b.txt", bucket + "/real/b.txt") == 0)
        #expect(mkfifo(bucket + "/real/pipe", 0o600) == 0)
        for key in ["real/missing.txt", "missing/a.txt", "real/deeper/a.txt/below", "real/b.txt", "real/pipe", "real/deeper", "../x"] {
            guard case .absent = ObjectFile.reading(inBucket: bucket, key: key) else {
                Issue.record("\(key) should be absent")
                continue
            }
        }
        // A failure to open that says nothing of the file (here: a name too long; in the daemon:
        // out of descriptors, EIO) is no removal.
        let tooLong = "real/" + String(repeating: "x", count: 300)
        guard case .unreadable(let code) = ObjectFile.reading(inBucket: bucket, key: tooLong) else {
            Issue.record("a failed open must not read as absent")
            return
        }
        #expect(code == ENAMETOOLONG)
    }

    /// A file some process has open for writing is not final: when asked, it is left unread.
    @Test func aFileOpenForWriting_isBeingWritten_whenAsked() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = open(bucket + "/real/deeper/a.txt", O_WRONLY | O_APPEND | O_CLOEXEC)
        try #require(writer >= 0)
        guard case .beingWritten = ObjectFile.reading(inBucket: bucket, key: "real/deeper/a.txt", unlessBeingWritten: true) else {
            Issue.record("a file open for writing was read")
            close(writer)
            return
        }
        #expect(readVersion(key: "real/deeper/a.txt")?.size == 6, "not asked: read as it is")
        close(writer)
        guard case .object(let version) = ObjectFile.reading(inBucket: bucket, key: "real/deeper/a.txt", unlessBeingWritten: true) else {
            Issue.record("a closed file was not read")
            return
        }
        #expect(version.size == 6)
        // Readers do not count.
        let reader = open(bucket + "/real/deeper/a.txt", O_RDONLY | O_CLOEXEC)
        defer { close(reader) }
        #expect(!ObjectFile.isOpenForWriting(reader))
    }

    /// The version a reading found, or nil when it found none.
    private func readVersion(key: String) -> ObjectVersion? {
        if case .object(let version) = ObjectFile.reading(inBucket: bucket, key: key) { return version }
        return nil
    }
}
