@testable import FlintServer
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `FlintDaemon.recreateEmpty`: the scratch roots start empty, made by the daemon itself.
@Suite struct ScratchRootTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flint-scratch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func leftovers_areRemoved_andAnEmptyPrivateDirectoryIsMade() throws {
        let base = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/work"
        try FileManager.default.createDirectory(atPath: root + "/old-invocation", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/old-invocation/file"))

        try FlintDaemon.recreateEmpty(root)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
        var status = stat()
        #expect(lstat(root, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        #expect(status.st_uid == geteuid())
    }

    /// Removing it and making it again would leave its name free for a moment, for another user
    /// to take in the shared /dev/shm.
    @Test func leftDirectory_isEmptiedInPlace_andMadePrivate() throws {
        let base = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/work"
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        #expect(chmod(root, 0o755) == 0)
        let held = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(held >= 0)
        defer { close(held) }

        try FlintDaemon.recreateEmpty(root)
        var before = stat()
        #expect(fstat(held, &before) == 0)
        #expect(before.st_nlink >= 2, "the directory held open was never removed")
        var after = stat()
        #expect(lstat(root, &after) == 0)
        #expect(after.st_ino == before.st_ino, "the same directory")
        #expect(after.st_mode & 0o777 == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test func symbolicLinkInItsPlace_isRemoved_notFollowed() throws {
        let base = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let elsewhere = base + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: elsewhere + "/precious"))
        try FileManager.default.createSymbolicLink(atPath: base + "/work", withDestinationPath: elsewhere)

        try FlintDaemon.recreateEmpty(base + "/work")
        #expect(FileManager.default.contents(atPath: elsewhere + "/precious") == Data("keep".utf8))
        var status = stat()
        #expect(lstat(base + "/work", &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFDIR)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to make a directory owned by another user"))
    func directoryAnotherUserMade_isRefused_notAdopted() throws {
        let base = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/work"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(chown(root, 65534, 65534) == 0)

        #expect {
            try FlintDaemon.recreateEmpty(root)
        } throws: { error in
            "\(error)".contains("belongs to uid 65534, not to Flint's uid 0: another user made it")
        }
        var status = stat()
        #expect(lstat(root, &status) == 0)
        #expect(status.st_uid == 65534, "left as it was")
    }
}
