@testable import FlintServer
import Foundation
import Testing

@Suite struct OutputMoverTests {
    let directory = NSTemporaryDirectory() + "flint-outputs-\(UUID().uuidString)"
    var scratch: String { directory + "/scratch" }
    var bucket: String { directory + "/bucket" }

    init() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bucket, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String, in root: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
    }

    @Test func movesRegularFiles_keepingDirectories_andSkipsWhatNoTriggerWouldSee() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("photo.png", "png", in: scratch)
        try write("sizes/small/photo.png", "small", in: scratch)
        try write(".partial", "x", in: scratch)
        try write("notes.tmp", "x", in: scratch)
        #expect(symlink("/etc/hostname", scratch + "/link") == 0)
        let causation = OutputCausation()
        let inode = try inode(scratch + "/photo.png")

        let moved = try OutputMover(bucketPath: bucket, causation: causation, depth: 3).moveAll(from: scratch)

        #expect(moved.sorted() == ["photo.png", "sizes/small/photo.png"])
        #expect(try String(contentsOfFile: bucket + "/sizes/small/photo.png", encoding: .utf8) == "small")
        #expect(!FileManager.default.fileExists(atPath: bucket + "/.partial"))
        #expect(!FileManager.default.fileExists(atPath: bucket + "/notes.tmp"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: bucket + "/link")) == nil)
        // The rename kept the inode, which is how the watcher's event finds its depth.
        #expect(try self.inode(bucket + "/photo.png") == inode)
        #expect(causation.depth(of: inode) == 3)
    }

    /// A handler's output becomes a file of the daemon's (a copy: a descriptor the handler kept
    /// open for writing must not change the object), read by the handler's group, written by no
    /// one else; one with another name too is copied, so that name cannot change it.
    @Test(.enabled(if: geteuid() == 0, "needs root to make files owned by another user"))
    func handlersOutputs_becomeTheDaemonsCopies_andHardLinksAreCopied() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("open.txt", "open", in: scratch)
        try write("private.txt", "private", in: scratch)
        try write("elsewhere/original.txt", "original", in: directory)
        #expect(chmod(scratch + "/open.txt", 0o4777) == 0)
        #expect(chmod(scratch + "/private.txt", 0o600) == 0)
        #expect(chown(scratch + "/open.txt", 65534, 65534) == 0)
        #expect(chown(scratch + "/private.txt", 65534, 65534) == 0)
        #expect(link(directory + "/elsewhere/original.txt", scratch + "/linked.txt") == 0)
        let kept = open(scratch + "/open.txt", O_WRONLY)
        #expect(kept >= 0)
        defer { close(kept) }

        let moved = try OutputMover(bucketPath: bucket, causation: nil, depth: 0).moveAll(from: scratch)

        #expect(moved.sorted() == ["linked.txt", "open.txt", "private.txt"])
        func status(_ name: String) throws -> stat {
            var info = stat()
            try #require(lstat(bucket + "/" + name, &info) == 0)
            return info
        }
        #expect(try status("open.txt").st_mode & 0o7777 == 0o755)
        #expect(try status("private.txt").st_mode & 0o7777 == 0o640)
        #expect(try status("open.txt").st_uid == 0, "the daemon's")
        #expect(try status("private.txt").st_gid == 65534, "its handler's group reads it")
        #expect(pwrite(kept, "changed", 7, 0) == 7)
        #expect(try String(contentsOfFile: bucket + "/open.txt", encoding: .utf8) == "open", "the descriptor kept writes elsewhere")
        #expect(try status("linked.txt").st_nlink == 1, "a copy, not the other name's inode")
        #expect(try String(contentsOfFile: bucket + "/linked.txt", encoding: .utf8) == "original")
    }

    /// Whether the temporary directory's filesystem has unnamed files (`O_TMPFILE`; not NFS, nor
    /// overlayfs before Linux 6.6): without them a copy is a dot-file from the start.
    static let temporaryDirectoryHasUnnamedFiles: Bool = {
        let probe = openat(AT_FDCWD, NSTemporaryDirectory(), __O_TMPFILE | O_DIRECTORY | O_WRONLY | O_CLOEXEC, 0o600)
        guard probe >= 0 else { return false }
        close(probe)
        return true
    }()

    /// A copy is written while it has no name in the bucket (`O_TMPFILE`), and named only once
    /// whole: a daemon killed while it copies leaves nothing in the bucket. Seen through inotify:
    /// no write to a file of the bucket's has a name, and the copy's first name comes after them.
    /// The copy is closed before its rename, so that the watcher, which waits for the close of a
    /// file moved in while open for writing, is not left waiting for one reported under no key.
    @Test(.enabled(if: temporaryDirectoryHasUnnamedFiles, "needs a temporary directory on a filesystem with O_TMPFILE"))
    func aCopy_hasNoNameInTheBucket_untilItIsWhole_andIsClosedBeforeItsRename() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let content = String(repeating: "0123456789abcdef", count: 64 * 1024)  // 1 MiB: many writes
        try write("photo.png", content, in: scratch)
        #expect(link(scratch + "/photo.png", scratch + "/.another-name") == 0, "a file with another name is copied")
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(inotify >= 0)
        defer { close(inotify) }
        try #require(inotify_add_watch(inotify, bucket, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)) >= 0)

        let moved = try OutputMover(bucketPath: bucket, causation: nil, depth: 0).moveAll(from: scratch)

        #expect(moved == ["photo.png"])
        #expect(try String(contentsOfFile: bucket + "/photo.png", encoding: .utf8) == content)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bucket) == ["photo.png"])
        let events = Self.events(from: inotify)
        let writes = events.filter { $0.mask & UInt32(IN_MODIFY) != 0 }
        #expect(!writes.isEmpty)
        // An unnamed file's writes are reported under "#<inode>", which no listing shows.
        #expect(writes.allSatisfy { $0.name.hasPrefix("#") }, "a named file was written: \(writes.map(\.name))")
        let firstNamed = events.firstIndex { $0.mask & UInt32(IN_CREATE) != 0 }
        let lastWrite = events.lastIndex { $0.mask & UInt32(IN_MODIFY) != 0 }
        #expect(firstNamed.map { index in lastWrite.map { $0 < index } ?? true } == true, "named before it was whole")
        #expect(events.last.map { $0.mask & UInt32(IN_MOVED_TO) != 0 && $0.name == "photo.png" } == true, "closed after its rename: \(events)")
    }

    /// The events queued on `inotify`, in order: mask and name.
    static func events(from inotify: CInt) -> [(mask: UInt32, name: String)] {
        var events: [(mask: UInt32, name: String)] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { return events }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= count {
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameBytes = bytes[(offset + header)..<(offset + header + Int(event.len))].prefix { $0 != 0 }
                    events.append((event.mask, String(decoding: nameBytes, as: UTF8.self)))
                    offset += header + Int(event.len)
                }
            }
        }
    }

    @Test func aSymlinkedDirectoryInTheBucket_isRefused_notFollowed() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outside = directory + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        #expect(symlink(outside, bucket + "/sizes") == 0)
        try write("sizes/photo.png", "png", in: scratch)

        #expect(throws: OutputMover.MoveError.self) {
            try OutputMover(bucketPath: bucket, causation: OutputCausation(), depth: 1).moveAll(from: scratch)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    /// Directories whose names Swift's `==` takes for one (a precomposed `é` and `e` + combining
    /// accent) are two to the file system: each output lands in its own.
    @Test func canonicallyEquivalentDirectories_keepTheirOwnOutputs() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, file) in [("caf\u{E9}", "a"), ("cafe\u{301}", "b")] {
            #expect(mkdir(scratch + "/" + name, 0o755) == 0)
            let fd = open(scratch + "/" + name + "/" + file, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            #expect(fd >= 0)
            close(fd)
        }

        _ = try OutputMover(bucketPath: bucket, causation: OutputCausation(), depth: 1).moveAll(from: scratch)

        #expect(access(bucket + "/caf\u{E9}/a", F_OK) == 0)
        #expect(access(bucket + "/cafe\u{301}/b", F_OK) == 0)
    }
}

extension OutputMoverTests {
    /// A name no key can name stays behind, and is told, where the others move.
    @Test func anOutputWhoseNameIsNotUTF8_isLeftOut_andTold() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("sub/fine.txt", "x", in: scratch)
        let invalid = Array((scratch + "/sub/caf").utf8) + [0xE9, 0]  // Latin-1 é: not UTF-8
        let fd = invalid.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        var leftOut: [String] = []
        let moved = try OutputMover(bucketPath: bucket, causation: nil, depth: 1).moveAll(from: scratch) { leftOut.append($0) }
        #expect(moved == ["sub/fine.txt"])
        #expect(leftOut == ["sub/caf\u{FFFD}"])
    }

    /// Deleted under the daemon (to clear it, say): made again, as the daemon makes it at start.
    @Test func aMissingOutputBucket_isMadeAgain() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("photo.png", "png", in: scratch)
        let moved = try OutputMover(bucketPath: directory + "/gone", causation: nil, depth: 1).moveAll(from: scratch)
        #expect(moved == ["photo.png"])
        #expect(try String(contentsOfFile: directory + "/gone/photo.png", encoding: .utf8) == "png")
        let mode = (try FileManager.default.attributesOfItem(atPath: directory + "/gone")[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o755)
    }

    /// With the buckets root itself gone, the failure says how to get it back and rerun what failed.
    @Test func aMissingBucketsRoot_saysToReloadAndReplay() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("photo.png", "png", in: scratch)
        #expect(throws: OutputMover.MoveError(description: "cannot open output bucket \(directory)/root/gone: No such file or directory; "
            + "the buckets root was deleted while Flint runs: flint reload makes it again, then flint deadletters replay reruns what failed")) {
            try OutputMover(bucketPath: directory + "/root/gone", causation: nil, depth: 1).moveAll(from: scratch)
        }
    }


    @Test func aSymlinkedOutputBucket_isRefused_notFollowed() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outside = directory + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        #expect(symlink(outside, directory + "/linked-bucket") == 0)
        try write("photo.png", "png", in: scratch)

        #expect(throws: OutputMover.MoveError.self) {
            try OutputMover(bucketPath: directory + "/linked-bucket", causation: nil, depth: 1).moveAll(from: scratch)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test(.enabled(if: OutputMoverTests.sharedMemoryIsAnotherFilesystem, "needs /dev/shm on another filesystem than the temporary directory"))
    func fromAnotherFilesystem_isCopiedWhole_thenRenamed() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let remote = "/dev/shm/flint-outputs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: remote) }
        try write("deep/photo.png", String(repeating: "p", count: 200_000), in: remote)
        #expect(chmod(remote + "/deep/photo.png", 0o640) == 0)
        let causation = OutputCausation()

        let moved = try OutputMover(bucketPath: bucket, causation: causation, depth: 2).moveAll(from: remote)

        #expect(moved == ["deep/photo.png"])
        #expect(try String(contentsOfFile: bucket + "/deep/photo.png", encoding: .utf8).count == 200_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bucket + "/deep") == ["photo.png"])  // no temporary left
        let attributes = try FileManager.default.attributesOfItem(atPath: bucket + "/deep/photo.png")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640, "the daemon's own file keeps its mode")
        #expect(causation.depth(of: try inode(bucket + "/deep/photo.png")) == 2)
    }

    static var sharedMemoryIsAnotherFilesystem: Bool {
        var shared = stat()
        var temporary = stat()
        return stat("/dev/shm", &shared) == 0 && stat(NSTemporaryDirectory(), &temporary) == 0 && shared.st_dev != temporary.st_dev
    }
}

/// Apart from `OutputMoverTests`, whose every test makes (and removes) a scratch directory.
@Suite struct OutputCausationTests {
    @Test func causation_expires() {
        let causation = OutputCausation(lifetime: 10)
        let now = Date()
        causation.expect(inode: 42, depth: 5, now: now)
        #expect(causation.depth(of: 42, now: now.addingTimeInterval(11)) == 0)
    }

    @Test func depth_lastsUntilItsEventIsCommitted_soARetriedTransactionKeepsTheChain() {
        let causation = OutputCausation()
        causation.expect(inode: 42, depth: 5)
        causation.expect(inode: 43, depth: 2)
        #expect(causation.depth(of: 42) == 5)
        #expect(causation.depth(of: 42) == 5)  // the first transaction failed; its retry asks again
        causation.forget(inodes: [42])
        #expect(causation.depth(of: 42) == 0)  // used: a later file with this inode is new
        #expect(causation.depth(of: 43) == 2)
    }
}
