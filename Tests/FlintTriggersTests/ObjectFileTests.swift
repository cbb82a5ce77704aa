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
        let version = try #require(ObjectFile.version(inBucket: bucket, key: "real/deeper/a.txt"))
        #expect(version.size == 6)
        #expect(version.eTag == "335cf4508dd597be4bfc9caa3e08b901")
    }

    @Test func aSymlinkedDirectoryOnTheWay_orAtTheEnd_isNeverFollowed() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(symlink(root + "/outside", bucket + "/swapped") == 0)
        #expect(symlink(root + "/outside/b.txt", bucket + "/real/b.txt") == 0)
        #expect(ObjectFile.version(inBucket: bucket, key: "swapped/deeper/a.txt") == nil)
        #expect(ObjectFile.version(inBucket: bucket, key: "swapped/b.txt") == nil)
        #expect(ObjectFile.version(inBucket: bucket, key: "real/b.txt") == nil)
        #expect(ObjectFile.version(inBucket: bucket, key: "../outside/b.txt") == nil)
    }
}
