@testable import FlintTriggers
import Foundation
import Testing

/// What a scan may conclude from a directory it could not list.
@Suite struct BucketTreeTests {
    @Test func keysBelowAnUnlistedDirectory_areUnknown_othersAreNot() {
        var tree = BucketTree()
        tree.unlisted = [(path: "private", error: EACCES)]
        #expect(tree.isUnlisted("private/a.txt"))
        #expect(tree.isUnlisted("private/deep/b.txt"))
        #expect(!tree.isUnlisted("privately.txt"))
        #expect(!tree.isUnlisted("public/a.txt"))
    }

    @Test func anUnlistedBucket_leavesEveryKeyUnknown() {
        var tree = BucketTree()
        tree.unlisted = [(path: "", error: EMFILE)]
        #expect(tree.isUnlisted("a.txt"))
        #expect(tree.isUnlisted("d/e.txt"))
    }

    @Test func aDirectoryThatIsGone_isNotUnlisted_itsObjectsAreGoneToo() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flint-tree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/uploads", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tree = BucketTree.walk(root: root, from: WatchedDirectory(bucket: "uploads", path: "gone"), entering: { _ in true })
        #expect(tree.unlisted.isEmpty)
        #expect(tree.files.isEmpty)
    }

    /// Directories that could not be watched are kept, so that their files, whose writers'
    /// closes will not be reported, are read as they are.
    @Test func directoriesEnteringCouldNotWatch_areListedAsUnwatched() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flint-tree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/uploads/a/b", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tree = BucketTree.walk(root: root, from: WatchedDirectory(bucket: "uploads", path: ""), entering: { $0.path != "a" })
        #expect(tree.unwatched == ["a"])
    }
}
