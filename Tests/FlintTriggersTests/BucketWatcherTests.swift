import FlintCore
import FlintStore
import FlintTriggers
import Foundation
import Logging
import Synchronization
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

    /// Files that never stop arriving must not hold off a stop (or a reload, which stops the old
    /// watcher): the watcher looks for the stop between batches of events.
    @Test func stop_whileFilesKeepArriving_endsTheWatcherSoon() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["stream"])
        let writing = Atomic<Bool>(true)
        let directory = fixture.root + "/stream"
        let writer = Thread {
            let until = Date().addingTimeInterval(20)
            var n = 0
            while writing.load(ordering: .relaxed), Date() < until {
                FileManager.default.createFile(atPath: "\(directory)/f\(n % 500).txt", contents: Data("\(n)".utf8))
                n += 1
            }
        }
        writer.start()
        try await fixture.eventually { fixture.changes.count > 100 }
        let asked = ContinuousClock.now
        await fixture.stop()
        let took = ContinuousClock.now - asked
        writing.store(false, ordering: .relaxed)
        #expect(took < .seconds(5), "the watcher stopped \(took) after it was asked, files arriving all along")
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

    @Test func directoryMovedOut_andItsNameTakenAtOnce_theNewDirectoryIsWatched() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "d/a.txt", "a")
        try fixture.write("uploads", "e/a.txt", "a")
        try await fixture.start(["uploads"])
        let outside = fixture.directory + "/outside"
        #expect(mkdir(outside, 0o755) == 0)

        // Back to back, so the watcher reads both in one batch: a new `d` takes the old one's
        // name, and `e` leaves and comes straight back (keeping its inode, and its watch).
        #expect(rename(fixture.path("uploads", "d"), outside + "/d") == 0)
        #expect(mkdir(fixture.path("uploads", "d"), 0o755) == 0)
        #expect(rename(fixture.path("uploads", "e"), outside + "/e") == 0)
        #expect(rename(outside + "/e", fixture.path("uploads", "e")) == 0)
        try await fixture.eventually { fixture.keys(.removed).contains("d/a.txt") }

        try fixture.write("uploads", "d/b.txt", "b")
        try fixture.write("uploads", "e/b.txt", "b")
        try await fixture.eventually { fixture.keys(.created).contains("d/b.txt") && fixture.keys(.created).contains("e/b.txt") }
        await fixture.stop()
    }

    @Test func directoriesWithIgnoredEndings_areWatched_dotDirectoriesAreNot() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "old.part/a.txt", "a")
        try fixture.write("uploads", ".cache/a.txt", "a")
        try await fixture.start(["uploads"])
        #expect(fixture.keys(.created) == ["old.part/a.txt"])
        try fixture.write("uploads", "new.tmp/b.txt", "b")
        try fixture.write("uploads", "new.tmp/c.tmp", "c")
        try fixture.write("uploads", ".cache/b.txt", "b")
        try fixture.write("uploads", "plain.txt", "p")
        try await fixture.eventually { fixture.keys(.created).contains("plain.txt") && fixture.keys(.created).contains("new.tmp/b.txt") }
        #expect(fixture.keys(.created).sorted() == ["new.tmp/b.txt", "old.part/a.txt", "plain.txt"])
        await fixture.stop()
    }

    /// A file still being written when a scan finds it (in a new directory, or at start-up, as
    /// after a reload) fires nothing until its writer closes it: then once, with all it holds.
    @Test func aFileStillOpenForWriting_whenAScanFindsIt_firesOnlyWhenClosed() async throws {
        let fixture = try BucketWatcherFixture()
        try FileManager.default.createDirectory(atPath: fixture.path("uploads", ""), withIntermediateDirectories: true)
        let atStart = open(fixture.path("uploads", "at-start.txt"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try #require(atStart >= 0)
        try await fixture.start(["uploads"])
        try FileManager.default.createDirectory(atPath: fixture.path("uploads", "new"), withIntermediateDirectories: true)
        let inNew = open(fixture.path("uploads", "new/x.txt"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try #require(inNew >= 0)
        // Written after x.txt was opened: once it is recorded, the new directory was scanned.
        try fixture.write("uploads", "new/marker.txt", "m")
        try await fixture.eventually { fixture.keys(.created).contains("new/marker.txt") }
        #expect(fixture.keys(.created) == ["new/marker.txt"], "a file still being written fired")

        for fd in [atStart, inNew] {
            #expect(write(fd, "hello", 5) == 5)
            close(fd)
        }
        try await fixture.eventually { fixture.keys(.created).count == 3 }
        await fixture.stop()
        #expect(fixture.keys(.created).sorted() == ["at-start.txt", "new/marker.txt", "new/x.txt"])
        #expect(fixture.changes.filter { $0.key != "new/marker.txt" }.map { $0.version?.size } == [5, 5])
    }

    /// A directory whose path is over PATH_MAX can be made (relative to an open parent) but not
    /// watched nor listed by path: the error says that it must be shortened, not that a scan
    /// will find what it holds (no scan can).
    @Test func aDirectoryPathOverPATHMAX_isReportedAsNeedingShortening() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        // Made, and removed after (no path reaches its depth), through descriptors of each level.
        var levels = [open(fixture.path("uploads", ""), O_RDONLY | O_DIRECTORY | O_CLOEXEC)]
        let name = String(repeating: "d", count: 250)
        defer {
            for parent in levels.reversed() {
                _ = unlinkat(parent, name, AT_REMOVEDIR)
                close(parent)
            }
        }
        for _ in 0 ..< 18 {
            let parent = try #require(levels.last.flatMap { $0 >= 0 ? $0 : nil })
            #expect(mkdirat(parent, name, 0o755) == 0)
            levels.append(openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        }
        try await fixture.eventually { fixture.warnings.all.contains { $0.contains("File name too long") } }
        await fixture.stop()
        let error = try #require(fixture.warnings.all.first { $0.contains("File name too long") })
        #expect(error.contains("nothing under it fires until it is shortened"), "\(error)")
        #expect(!error.contains("found only by the next scan"), "\(error)")
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

    /// Nothing in a directory whose name is not UTF-8 can be named: the daemon says so once.
    @Test func aDirectoryWhoseNameIsNotUTF8_isIgnored_withAWarningNamingIt() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        let invalid = Array(fixture.path("uploads", "").utf8) + [0x64, 0xE9, 0]  // "d\xE9": Latin-1, not UTF-8
        let made = invalid.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { mkdir($0, 0o755) }
        }
        #expect(made == 0)
        try fixture.write("uploads", "marker", "m")
        try await fixture.eventually { fixture.keys(.created).contains("marker") }
        let warnings = fixture.warnings.all
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.hasSuffix("/: its name is not UTF-8, so no object key can name what it holds; rename it") == true, "\(warnings)")
        await fixture.stop()
    }

    /// A bounded wait for the watches: nil when they are not in place in time (here a watcher
    /// never started), the buckets once they are.
    @Test func watchingWithin_givesUpInTime_orAnswersWithTheWatchedBuckets() async throws {
        let idle = try BucketWatcherFixture()
        let unstarted = try BucketWatcher(root: idle.root, buckets: ["uploads"], sink: idle.sink, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        #expect(await unstarted.watching(within: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - started < .seconds(5))

        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        #expect(await fixture.watcher?.watching(within: .seconds(5)) == ["uploads"])
        await fixture.stop()
    }

    /// A bucket renamed away stops firing: what happens in the directory under its new name is
    /// not the bucket's, which is what its warning says.
    @Test func aBucketRenamedAway_firesNothingMoreForWhatHappensInIt() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "sub/a.txt", "a")
        try await fixture.start(["uploads", "other"])
        #expect(fixture.keys(.created) == ["sub/a.txt"])
        try FileManager.default.moveItem(atPath: fixture.path("uploads", ""), toPath: fixture.root + "/uploads-old")
        try FileManager.default.removeItem(atPath: fixture.root + "/uploads-old/sub/a.txt")
        try Data("b".utf8).write(to: URL(fileURLWithPath: fixture.root + "/uploads-old/b.txt"))
        // Events come in order: once the other bucket's is recorded, those before it were handled.
        try fixture.write("other", "marker", "m")
        try await fixture.eventually { fixture.keys(.created).contains("marker") }
        #expect(fixture.keys(.removed).isEmpty, "\(fixture.changes)")
        #expect(fixture.keys(.created) == ["sub/a.txt", "marker"])
        #expect(fixture.warnings.all.contains { $0.hasPrefix("bucket uploads was moved or renamed") })
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

    /// More events than the kernel queues while the watcher cannot read them: the queue
    /// overflows, and the rescan that follows records every file exactly once.
    @Test func aQueueOverflow_losesNothing_andDoublesNothing() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"])
        try fixture.write("uploads", "first", "1")
        try await fixture.eventually { fixture.keys(.created) == ["first"] }
        fixture.sink.gate.withLock { $0 = false }
        try fixture.write("uploads", "blocker", "b")  // the watcher now waits in record
        try await Task.sleep(for: .milliseconds(100))
        let queued = Int((try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 16384
        // Each file queues at least two events (its creation and its close).
        let count = queued / 2 + 2_000
        let bucket = fixture.path("uploads", "")
        for index in 0 ..< count {
            let fd = open(bucket + "f\(index)", O_CREAT | O_WRONLY, 0o644)
            _ = write(fd, "x", 1)
            close(fd)
        }
        fixture.sink.gate.withLock { $0 = true }
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).count == count + 2 }
        try await Task.sleep(for: .milliseconds(300))
        let keys = fixture.keys(.created)
        #expect(keys.count == count + 2)
        #expect(Set(keys).count == keys.count)
        #expect(try fixture.index.count(in: "uploads") == count + 2)
        await fixture.stop()
    }

    /// Large enough that reading it takes the hasher a while (its MD5 in a debug build), past
    /// the limit the tests below set.
    static let largeFile: Data = {
        var data = Data(repeating: 0x5A, count: 48 << 20)
        for offset in stride(from: 0, to: data.count, by: 4_096) { data[offset] = UInt8(truncatingIfNeeded: offset >> 12) }
        return data
    }()
    static let smallHashLimit: Int64 = 64 << 10

    /// A watcher (with the small hash limit) whose hasher is reading `largeFile`, written at `key`
    /// of bucket `uploads`; and that file's path.
    static func hasherReadingALargeFile(at key: String) async throws -> (fixture: BucketWatcherFixture, path: String) {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads"], hashLimit: smallHashLimit)
        let path = fixture.path("uploads", key)
        try fixture.write("uploads", key, largeFile)
        try await fixture.eventually(timeout: .seconds(30)) { isBeingRead(path) }
        return (fixture, path)
    }

    /// A file over the hash limit is read off the watcher's thread: a small file written after
    /// it is recorded first, and the large one follows with its right eTag.
    @Test func aLargeFile_holdsUpNoOtherEvent_andIsRecordedWhenRead() async throws {
        let fixture = try BucketWatcherFixture()
        try await fixture.start(["uploads", "other"], hashLimit: Self.smallHashLimit)
        try fixture.write("uploads", "film.mov", Self.largeFile)
        try fixture.write("other", "note.txt", "n")
        try await fixture.eventually(timeout: .seconds(60)) { fixture.changes.count == 2 }
        #expect(fixture.changes.map(\.key) == ["note.txt", "film.mov"])
        #expect(fixture.changes.last?.version?.eTag == (try md5sum(fixture.path("uploads", "film.mov"))))
        #expect(fixture.changes.last?.version?.size == Int64(Self.largeFile.count))
        await fixture.stop()
    }

    /// Removed while the hasher reads it: the removal is recorded after the creation the
    /// hasher read, not before it (which would leave the index holding a file that is gone).
    @Test func aLargeFileRemovedWhileRead_endsRemoved() async throws {
        let (fixture, path) = try await Self.hasherReadingALargeFile(at: "film.mov")
        try FileManager.default.removeItem(atPath: path)
        try fixture.write("uploads", "after.txt", "a")
        // The creation the hasher read is recorded once it has read the whole file.
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).contains("film.mov") }
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).contains("after.txt") }
        try await Task.sleep(for: .milliseconds(300))
        let film = fixture.changes.filter { $0.key == "film.mov" }.map(\.eventKind)
        #expect(film == [.created, .removed])
        #expect(try fixture.index.objects(in: "uploads", under: "").keys.sorted() == ["after.txt"])
        await fixture.stop()
    }

    /// Removed while the hasher reads it, and another file renamed to its key at once: the
    /// removal stays a removal (not a read that would find the new file), then the rename.
    @Test func aLargeFileReplacedByARenameWhileRead_isRemovedThenCopied() async throws {
        let (fixture, path) = try await Self.hasherReadingALargeFile(at: "film.mov")
        try FileManager.default.removeItem(atPath: path)
        try fixture.write("uploads", ".film.tmp", "new")
        #expect(rename(fixture.path("uploads", ".film.tmp"), path) == 0)
        try await fixture.eventually(timeout: .seconds(60)) { fixture.changes.filter { $0.key == "film.mov" }.count >= 3 }
        try await Task.sleep(for: .milliseconds(300))
        let film = fixture.changes.filter { $0.key == "film.mov" }
        #expect(film.map(\.eventKind) == [.created, .removed, .created], "\(film)")
        if case .put(let version) = film.first?.kind { #expect(version.size == Int64(Self.largeFile.count)) } else { Issue.record("\(film)") }
        if case .moved(let version) = film.last?.kind { #expect(version.size == 3) } else { Issue.record("\(film)") }
        await fixture.stop()
    }

    /// Its directory renamed while the hasher reads it: the old key is removed after the
    /// creation the hasher read, and the new one created.
    @Test func aLargeFilesDirectoryRenamedWhileRead_removesTheOldKey() async throws {
        let (fixture, _) = try await Self.hasherReadingALargeFile(at: "before/film.mov")
        #expect(rename(fixture.path("uploads", "before"), fixture.path("uploads", "after")) == 0)
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).contains("after/film.mov") }
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.removed).contains("before/film.mov") }
        try await Task.sleep(for: .milliseconds(300))
        #expect(fixture.changes.filter { $0.key == "before/film.mov" }.map(\.eventKind) == [.created, .removed])
        #expect(try fixture.index.objects(in: "uploads", under: "").keys.sorted() == ["after/film.mov"])
        await fixture.stop()
    }

    /// Truncated while the hasher reads it: no event pairs the new size with the MD5 of what was
    /// read before; the event that follows the truncation has the empty file's.
    @Test func aLargeFileTruncatedWhileRead_neverGetsAnETagOfHalfItsContent() async throws {
        let (fixture, path) = try await Self.hasherReadingALargeFile(at: "film.mov")
        #expect(truncate(path, 0) == 0)
        try fixture.write("uploads", "after.txt", "a")
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).contains("after.txt") }
        try await fixture.eventually(timeout: .seconds(60)) { fixture.keys(.created).contains("film.mov") }
        try await Task.sleep(for: .milliseconds(300))
        let emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"
        let film = fixture.changes.filter { $0.key == "film.mov" }.compactMap(\.version)
        #expect(film.map(\.size) == [0])
        #expect(film.map(\.eTag) == [emptyMD5])
        await fixture.stop()
    }

    /// Found by the start-up scan: read by the hasher too, and recorded once.
    @Test func aLargeFileFoundByTheStartUpScan_isRecordedOnce() async throws {
        let fixture = try BucketWatcherFixture()
        try fixture.write("uploads", "film.mov", Self.largeFile)
        try fixture.write("uploads", "note.txt", "n")
        try await fixture.start(["uploads"], hashLimit: Self.smallHashLimit)
        try await fixture.eventually(timeout: .seconds(60)) { fixture.changes.count == 2 }
        #expect(fixture.changes.map(\.key) == ["note.txt", "film.mov"])
        await fixture.stop()
        try await fixture.start(["uploads"], hashLimit: Self.smallHashLimit)
        await fixture.stop()
        #expect(fixture.changes.count == 2)
    }

    /// The file's MD5 as coreutils computes it.
    private func md5sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(32))
    }

    /// Whether this process has `path` open and has read some of it: the hasher is at work on it
    /// (the watcher's thread only looks at the file's size).
    private static func isBeingRead(_ path: String) -> Bool {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return false }
        for descriptor in descriptors {
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")) == path,
                let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8),
                let position = info.split(separator: "\n").first(where: { $0.hasPrefix("pos:") })
            else { continue }
            if (Int(position.dropFirst(4).trimmingCharacters(in: .whitespaces)) ?? 0) > 0 { return true }
        }
        return false
    }
}
