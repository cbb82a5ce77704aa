import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bucket triggers through a running daemon: real files in real directories, inotify, the
/// object index in SQLite, and handlers that record the S3 events they were given.
@Suite(.serialized) struct BucketEndToEndTests {
    /// After a marker's event arrived, how long events written before it may still take to be
    /// recorded (their handlers run concurrently with the marker's).
    static let settle: Duration = .milliseconds(300)

    /// A project whose function `record` records every event of trigger `trigger` on bucket
    /// `uploads`, and whose watcher can be waited for.
    static func recordingProject(
        trigger: String = "uploads-changes", events: [String] = ["created", "removed"]
    ) throws -> (TestProject, ObjectEventRecorder) {
        let project = try TestProject()
        let recorder = try project.addObjectEventRecorder("record")
        try project.addBucketTrigger(trigger, function: "record", bucket: "uploads", events: events)
        try project.addWatcherProbe(function: "record")
        return (project, recorder)
    }

    /// Writes a marker object into `bucket` and waits for its event: every change made before
    /// it has been seen by the watcher. Then lets handlers still running finish.
    static func mark(_ project: TestProject, _ recorder: ObjectEventRecorder, bucket: String = "uploads", key: String = "marker.txt") async throws {
        try writeObject(project.bucketPath(bucket) + "/" + key, Data("marker".utf8))
        try await recorder.waitFor(key: key)
        try await Task.sleep(for: settle)
    }

    /// How many events each real key got.
    static func counts(_ received: [ObjectEventRecorder.Received]) -> [String: Int] {
        received.reduce(into: [:]) { $0[$1.realKey, default: 0] += 1 }
    }

    static func sequencerValue(_ text: String) -> UInt64? {
        text.count == 16 ? UInt64(text, radix: 16) : nil
    }

    /// The repository's root, from this file's path (Tests/FlintEndToEndTests/...).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    // MARK: - Events and their S3 records

    @Test func createdThenRewrittenThenRemoved_deliverS3RecordsWithSizeETagAndAGrowingSequencer() async throws {
        let (project, recorder) = try Self.recordingProject()
        try FileManager.default.createDirectory(atPath: project.bucketPath("uploads") + "/docs", withIntermediateDirectories: true)
        let daemon = try await project.startWatchingDaemon()
        let path = project.bucketPath("uploads") + "/docs/hello.txt"

        try writeObject(path, Data("hello world".utf8))
        let first = try #require(try await recorder.waitUntil("the created event") { $0.count >= 1 }.first)
        #expect(first.eventVersion == "2.1")
        #expect(first.eventSource == "aws:s3")
        #expect(!first.awsRegion.isEmpty)
        #expect(first.eventTime.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(first.eventTime)")
        #expect(first.eventName == "ObjectCreated:Put")
        #expect(first.recordCount == 1)
        #expect(first.s3SchemaVersion == "1.0")
        #expect(first.configurationId == "uploads-changes")
        #expect(first.bucket == "uploads")
        #expect(first.bucketARN == "arn:aws:s3:::uploads")
        #expect(first.key == "docs/hello.txt")
        #expect(first.size == 11)
        #expect(first.eTag == "5eb63bbbe01eeed093cb22bb8f5acdc3")  // md5("hello world")
        #expect(first.objectPath == path)
        #expect(first.objectPath?.hasPrefix("/") == true)
        #expect(first.source == "bucket")
        let firstSequencer = try #require(Self.sequencerValue(first.sequencer), "sequencer \(first.sequencer) is not 16 hex digits")

        try writeObject(path, Data("hello world, once more".utf8))
        let second = try #require(try await recorder.waitUntil("the second created event") { $0.count >= 2 }.last)
        #expect(second.eventName == "ObjectCreated:Put")
        #expect(second.key == "docs/hello.txt")
        #expect(second.size == 22)
        #expect(second.eTag == (try await md5sum(path)))
        #expect(second.eTag != first.eTag)
        let secondSequencer = try #require(Self.sequencerValue(second.sequencer))
        #expect(secondSequencer > firstSequencer)
        #expect(second.sequencer > first.sequencer, "sequencers of one key sort as strings too")

        #expect(unlink(path) == 0)
        let removed = try #require(try await recorder.waitUntil("the removed event") { $0.count >= 3 }.last)
        #expect(removed.eventName == "ObjectRemoved:Delete")
        #expect(removed.configurationId == "uploads-changes")
        #expect(removed.bucket == "uploads")
        #expect(removed.key == "docs/hello.txt")
        #expect(removed.objectFields == ["key", "sequencer"], "a removal carries no size and no eTag")
        #expect(removed.objectPath == path)
        #expect(removed.observedSize == nil)
        let removedSequencer = try #require(Self.sequencerValue(removed.sequencer))
        #expect(removedSequencer > secondSequencer)

        // An empty file (touch) is an object too.
        try writeObject(project.bucketPath("uploads") + "/empty.txt", Data())
        let empty = try #require(try await recorder.waitFor(key: "empty.txt").first { $0.realKey == "empty.txt" })
        #expect(empty.eventName == "ObjectCreated:Put")
        #expect(empty.size == 0)
        #expect(empty.eTag == "d41d8cd98f00b204e9800998ecf8427e")  // md5("")

        try await Self.mark(project, recorder)
        let all = try recorder.received()
        #expect(all.count == 5, "one event per change: \(all.map { "\($0.eventName) \($0.key)" })")
        _ = daemon
    }

    @Test func keysWithSpacesUnicodePlusPercentAndNewline_areDeliveredAndDecodeToTheRealName() async throws {
        let (project, recorder) = try Self.recordingProject(events: ["created"])
        let daemon = try await project.startWatchingDaemon()
        // Expected encodings: LAMBDA.md's form-URL encoding (a space is +, other bytes %XX).
        let names: [(name: String, encoded: String?)] = [
            ("with space.txt", "with+space.txt"),
            ("a+b=c.txt", "a%2Bb%3Dc.txt"),
            ("100% sure.txt", "100%25+sure.txt"),
            ("line\nbreak.txt", "line%0Abreak.txt"),
            ("caf\u{E9} \u{2615} \u{65E5}\u{672C}.txt", "caf%C3%A9+%E2%98%95+%E6%97%A5%E6%9C%AC.txt"),
            ("e\u{301}-decomposed.txt", "e%CC%81-decomposed.txt"),  // NFD bytes stay NFD
            ("dir (1)/x&y#z?.txt", "dir+%281%29/x%26y%23z%3F.txt"),
            ("%41%2B+literally.txt", nil),
            ("quote\"back\\slash\ttab.txt", "quote%22back%5Cslash%09tab.txt"),
        ]
        try FileManager.default.createDirectory(atPath: project.bucketPath("uploads") + "/dir (1)", withIntermediateDirectories: true)
        for (name, _) in names {
            try writeObject(project.bucketPath("uploads") + "/" + name, Data(name.utf8))
        }
        let received = try await recorder.waitUntil("an event for each name") { received in
            names.allSatisfy { entry in received.contains { Array($0.realKey.utf8) == Array(entry.name.utf8) } }
        }
        for (name, encoded) in names {
            let events = received.filter { Array($0.realKey.utf8) == Array(name.utf8) }
            #expect(events.count == 1, "\(name.debugDescription): \(events.count) events")
            guard let event = events.first else { continue }
            if let encoded { #expect(event.key == encoded, "\(name.debugDescription)") }
            #expect(formURLDecoded(event.key).map { Array($0.utf8) } == Array(name.utf8), "\(event.key) decodes to \(name.debugDescription)")
            #expect(!event.key.contains(" ") && !event.key.contains("\n"))
            #expect(event.objectPath.map { Array($0.utf8) } == Array((project.bucketPath("uploads") + "/" + name).utf8))
            #expect(event.size == name.utf8.count)
        }
        try await Self.mark(project, recorder)
        #expect(try recorder.received().count == names.count + 1)
        _ = daemon
    }

    @Test func aFileWrittenSlowly_firesOnce_afterClose_withItsFullSize() async throws {
        let (project, recorder) = try Self.recordingProject(events: ["created"])
        let daemon = try await project.startWatchingDaemon()
        let path = project.bucketPath("uploads") + "/slow.bin"
        let half = Data(repeating: UInt8(ascii: "a"), count: 100_000)

        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0, "open \(path)")
        try writeAll(fd, half, to: path)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try recorder.received().isEmpty, "nothing fires while the file is open for writing")
        try writeAll(fd, half, to: path)
        close(fd)

        let events = try await recorder.waitFor(key: "slow.bin")
        let event = try #require(events.first)
        #expect(event.eventName == "ObjectCreated:Put")
        #expect(event.size == 200_000)
        #expect(event.eTag == (try await md5sum(path)))
        try await Self.mark(project, recorder)
        #expect(Self.counts(try recorder.received()) == ["slow.bin": 1, "marker.txt": 1])
        _ = daemon
    }

    /// Renamed in while its writer still writes: not final, so nothing fires until the close.
    @Test func aFileRenamedInWhileStillOpenForWriting_firesOnce_afterClose_withItsFullSize() async throws {
        let (project, recorder) = try Self.recordingProject(events: ["created"])
        let daemon = try await project.startWatchingDaemon()
        let staging = project.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let path = project.bucketPath("uploads") + "/late.bin"
        let half = Data(repeating: UInt8(ascii: "b"), count: 50_000)

        let fd = open(staging + "/late.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0, "open \(staging)/late.bin")
        try writeAll(fd, half, to: path)
        try renameFile(staging + "/late.bin", path)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try recorder.received().isEmpty, "nothing fires while the file is open for writing")
        try writeAll(fd, half, to: path)
        close(fd)

        let events = try await recorder.waitFor(key: "late.bin")
        #expect(events.first?.eventName == "ObjectCreated:Put")
        #expect(events.first?.size == 100_000)
        try await Self.mark(project, recorder)
        #expect(Self.counts(try recorder.received()) == ["late.bin": 1, "marker.txt": 1])
        _ = daemon
    }

    @Test func renamesIntoTheBucket_fireOnceAsCopy_andIgnoredNamesNeverFire() async throws {
        let (project, recorder) = try Self.recordingProject()
        let daemon = try await project.startWatchingDaemon()
        let bucket = project.bucketPath("uploads")
        let staging = project.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)

        // Ignored names first: none of them may fire, before or after the marker.
        for name in [".hidden", "x.tmp", "y.part", "z.swp"] {
            try writeObject(bucket + "/" + name, Data(name.utf8))
        }
        try FileManager.default.createDirectory(atPath: bucket + "/.dir/deeper", withIntermediateDirectories: true)
        try writeObject(bucket + "/.dir/inside.txt", Data("inside".utf8))
        try writeObject(bucket + "/.dir/deeper/more.txt", Data("more".utf8))
        try writeObject(staging + "/moved-tmp.tmp", Data("moved".utf8))
        try renameFile(staging + "/moved-tmp.tmp", bucket + "/renamed-to.tmp")

        // Written outside, renamed in; a dot-file temporary and a .part renamed to real names.
        try writeObject(staging + "/photo.bin", Data("from outside".utf8))
        try renameFile(staging + "/photo.bin", bucket + "/moved.bin")
        try writeObject(bucket + "/.upload-1234", Data("from a dot-file".utf8))
        try renameFile(bucket + "/.upload-1234", bucket + "/real.txt")
        try writeObject(bucket + "/download.part", Data("from a .part".utf8))
        try renameFile(bucket + "/download.part", bucket + "/download.bin")

        try await Self.mark(project, recorder)
        let received = try recorder.received()
        #expect(Self.counts(received) == ["moved.bin": 1, "real.txt": 1, "download.bin": 1, "marker.txt": 1], "\(received.map(\.realKey))")
        for key in ["moved.bin", "real.txt", "download.bin"] {
            let event = received.first { $0.realKey == key }
            #expect(event?.eventName == "ObjectCreated:Copy", "\(key)")
            #expect(event?.eTag == (try await md5sum(bucket + "/" + key)), "\(key)")
        }
        #expect(received.first { $0.realKey == "moved.bin" }?.size == 12)

        // Removing and renaming away ignored names fires nothing either.
        for name in [".hidden", "x.tmp", "y.part", "z.swp"] { #expect(unlink(bucket + "/" + name) == 0) }
        try renameFile(bucket + "/.dir/inside.txt", staging + "/inside.txt")
        try await Self.mark(project, recorder, key: "marker2.txt")
        #expect(Self.counts(try recorder.received()) == ["moved.bin": 1, "real.txt": 1, "download.bin": 1, "marker.txt": 1, "marker2.txt": 1])

        // A rename within the bucket removes the old key and copies to the new one; a rename
        // out of it removes.
        try FileManager.default.removeItem(atPath: recorder.path)
        try renameFile(bucket + "/moved.bin", bucket + "/renamed.bin")
        try renameFile(bucket + "/real.txt", staging + "/real.txt")
        try await Self.mark(project, recorder, key: "marker3.txt")
        let renamed = try recorder.received()
        #expect(Self.counts(renamed) == ["moved.bin": 1, "renamed.bin": 1, "real.txt": 1, "marker3.txt": 1], "\(renamed.map(\.realKey))")
        #expect(renamed.first { $0.realKey == "moved.bin" }?.eventName == "ObjectRemoved:Delete")
        #expect(renamed.first { $0.realKey == "renamed.bin" }?.eventName == "ObjectCreated:Copy")
        #expect(renamed.first { $0.realKey == "real.txt" }?.eventName == "ObjectRemoved:Delete")
        _ = daemon
    }

    @Test func prefixAndSuffixFilters_fireOnlyForMatchingKeys() async throws {
        let project = try TestProject()
        let recorder = try project.addObjectEventRecorder("record")
        try project.addBucketTrigger("all-uploads", function: "record", bucket: "uploads")
        try project.addBucketTrigger("png-images", function: "record", bucket: "uploads", prefix: "images/", suffix: ".png")
        try project.addWatcherProbe(function: "record")
        let bucket = project.bucketPath("uploads")
        for directory in ["images/sub", "docs", "imagesx", "IMAGES"] {
            try FileManager.default.createDirectory(atPath: bucket + "/" + directory, withIntermediateDirectories: true)
        }
        let daemon = try await project.startWatchingDaemon()
        let keys = [
            "images/a.png", "images/sub/e.png",  // the two that match
            "images/b.jpg", "docs/c.png", "images.png", "imagesx/d.png", "IMAGES/f.png", "images/g.PNG", "images/h.png.bak",
        ]
        for key in keys { try writeObject(bucket + "/" + key, Data(key.utf8)) }

        try await recorder.waitUntil("every key through the unfiltered trigger") { received in
            Set(received.filter { $0.configurationId == "all-uploads" }.map(\.realKey)) == Set(keys)
        }
        try await Task.sleep(for: Self.settle)
        let received = try recorder.received()
        #expect(Self.counts(received.filter { $0.configurationId == "all-uploads" }) == Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) }))
        #expect(Self.counts(received.filter { $0.configurationId == "png-images" }) == ["images/a.png": 1, "images/sub/e.png": 1])
        #expect(received.count == keys.count + 2)
        _ = daemon
    }

    // MARK: - Directories, start-up scan

    @Test func aNewSubdirectory_isWatchedAtOnce_soFilesWrittenRightAfterMkdirAllFireOnce() async throws {
        let (project, recorder) = try Self.recordingProject(events: ["created"])
        let daemon = try await project.startWatchingDaemon()
        let bucket = project.bucketPath("uploads")

        // mkdir -p a/b/c, then 50 files in it with no pause: most are written before the
        // watcher has even seen the directories.
        for directory in ["a", "a/b", "a/b/c"] { #expect(mkdir(bucket + "/" + directory, 0o755) == 0) }
        let deep = (0 ..< 50).map { "a/b/c/file-\($0).txt" }
        for key in deep { try writeObject(bucket + "/" + key, Data(key.utf8)) }
        try writeObject(bucket + "/a/top.txt", Data("top".utf8))
        try writeObject(bucket + "/a/b/middle.txt", Data("middle".utf8))

        // A directory tree renamed in from outside: its files fire, and it is watched too.
        let staging = project.root + "/staging/album/2024"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try writeObject(staging + "/one.jpg", Data("one".utf8))
        try writeObject(staging + "/two.jpg", Data("two".utf8))
        try renameFile(project.root + "/staging/album", bucket + "/album")
        try await recorder.waitFor(key: "album/2024/two.jpg")
        try writeObject(bucket + "/album/2024/three.jpg", Data("three".utf8))

        let expected = deep + ["a/top.txt", "a/b/middle.txt", "album/2024/one.jpg", "album/2024/two.jpg", "album/2024/three.jpg"]
        do {
            try await recorder.waitUntil("every file", within: 10) { Set($0.map(\.realKey)).isSuperset(of: expected) }
        } catch {
            let missing = Set(expected).subtracting(try recorder.received().map(\.realKey))
            throw TestFailure("\(error); missing: \(missing.sorted())")
        }
        try await Self.mark(project, recorder)
        let received = try recorder.received()
        #expect(Set(received.map(\.realKey)) == Set(expected + ["marker.txt"]))
        // Each file fires once whole. A directory's scan that found one mid-write fires what it
        // held then too (buckets.md, the edge cases): only such a smaller version may come as well.
        let contents = Dictionary(uniqueKeysWithValues: deep.map { ($0, $0.utf8.count) })
            .merging(["a/top.txt": 3, "a/b/middle.txt": 6, "album/2024/one.jpg": 3, "album/2024/two.jpg": 3, "album/2024/three.jpg": 5]) { $1 }
        for (key, size) in contents {
            let sizes = received.filter { $0.realKey == key }.map(\.size)
            #expect(sizes.filter { $0 == size }.count == 1 && sizes.allSatisfy { ($0 ?? .max) < size || $0 == size }, "\(key): sizes \(sizes)")
        }
        #expect(received.first { $0.realKey == "album/2024/one.jpg" }?.eventName == "ObjectCreated:Copy")
        #expect(received.first { $0.realKey == "album/2024/three.jpg" }?.eventName == "ObjectCreated:Put")
        _ = daemon
    }

    @Test func startUpScan_firesExactlyWhatChangedWhileStopped_andNothingAfterACleanRestart() async throws {
        let (project, recorder) = try Self.recordingProject()
        let bucket = project.bucketPath("uploads")
        var daemon: RunningDaemon? = try await project.startWatchingDaemon()
        for key in ["keep.txt", "change.txt", "gone.txt"] { try writeObject(bucket + "/" + key, Data("v1".utf8)) }
        let before = try await recorder.waitUntil("three created events") { $0.count >= 3 }
        let stopped = try await BusEndToEndTests.offThread { [daemon] in try daemon!.stop() }
        #expect(stopped.status == 0)
        daemon = nil
        try FileManager.default.removeItem(atPath: recorder.path)

        // While nobody watches: two new objects (one in a new directory), one rewritten with
        // content of the same size, one removed.
        try writeObject(bucket + "/new.txt", Data("new".utf8))
        try FileManager.default.createDirectory(atPath: bucket + "/sub", withIntermediateDirectories: true)
        try writeObject(bucket + "/sub/new2.txt", Data("new two".utf8))
        try writeObject(bucket + "/change.txt", Data("v2".utf8))
        #expect(unlink(bucket + "/gone.txt") == 0)

        daemon = try await project.startWatchingDaemon()
        try await Self.mark(project, recorder)
        let received = try recorder.received()
        #expect(Self.counts(received) == ["new.txt": 1, "sub/new2.txt": 1, "change.txt": 1, "gone.txt": 1, "marker.txt": 1], "\(received.map(\.realKey))")
        let changed = received.first { $0.realKey == "change.txt" }
        #expect(changed?.eventName == "ObjectCreated:Put")
        #expect(changed?.size == 2)
        #expect(changed?.eTag == (try await md5sum(bucket + "/change.txt")))
        let oldChange = before.first { $0.realKey == "change.txt" }
        #expect((changed?.sequencer ?? "") > (oldChange?.sequencer ?? "~"), "the sequencer keeps growing across restarts")
        let gone = received.first { $0.realKey == "gone.txt" }
        #expect(gone?.eventName == "ObjectRemoved:Delete")
        #expect(gone?.objectFields == ["key", "sequencer"])
        #expect((gone?.sequencer ?? "") > (before.first { $0.realKey == "gone.txt" }?.sequencer ?? "~"))
        #expect(received.first { $0.realKey == "new.txt" }?.eventName == "ObjectCreated:Put")

        // A clean stop and a start with nothing changed: nothing fires.
        let again = try await BusEndToEndTests.offThread { [daemon] in try daemon!.stop() }
        #expect(again.status == 0)
        daemon = nil
        try FileManager.default.removeItem(atPath: recorder.path)
        daemon = try await project.startWatchingDaemon()
        try await Self.mark(project, recorder, key: "marker2.txt")
        #expect(Self.counts(try recorder.received()) == ["marker2.txt": 1])
        _ = daemon
    }

    // MARK: - Outputs and loops

    @Test func aFunctionWritingIntoItsOwnBucket_isStoppedAtDepth16_andTheStopIsRecorded() async throws {
        let project = try TestProject()
        try project.appendToConfig("bus: {retry_base: 20ms}\n")
        let out = project.root + "/copies.txt"
        // Copies gen-N.txt to gen-(N+1).txt in its output directory, which is its own bucket.
        try project.write("functions/copier/copy.py", """
            import json, os, re, shutil, sys
            from urllib.parse import unquote_plus
            key = unquote_plus(json.load(sys.stdin)["Records"][0]["s3"]["object"]["key"])
            n = int(re.fullmatch(r"gen-(\\d+)\\.txt", key).group(1))
            shutil.copyfile(os.environ["FLINT_OBJECT_PATH"], os.path.join(os.environ["FLINT_OUTPUT_DIR"], f"gen-{n + 1}.txt"))
            with open("\(out)", "a") as f:
                f.write(key + "\\n")

            """)
        try project.write(
            "functions/copier/function.yaml", "name: copier\ncommand: [\"python3\", \"-I\", \"./copy.py\"]\noutput: loop\nretries: 2\n")
        try project.addBucketTrigger("loop-created", function: "copier", bucket: "loop")
        try project.addWatcherProbe(function: "copier")
        let daemon = try await project.startWatchingDaemon()
        try writeObject(project.bucketPath("loop") + "/gen-0.txt", Data("seed".utf8))

        struct Listing: Decodable {
            struct Invocation: Decodable {
                var outcome: String
                var trigger: String?
                var source: String
                var attempt: Int
                var error_message: String?
            }
            var invocations: [Invocation]
        }
        let root = project.root
        let invocations = { () async throws -> Listing in
            let result = try await BusEndToEndTests.offThread {
                try FlintBinary.run(["invocations", "--json", "--function", "copier", "--limit", "100", "--project", root])
            }
            guard result.status == 0 else { throw TestFailure("flint invocations: \(result.stderr)") }
            return try JSONDecoder().decode(Listing.self, from: Data(result.stdout.utf8))
        }
        // Ledger rows are committed after the invocation ends, while the output it moved may
        // already have caused the next one: wait for both the stop and the last run.
        _ = try await eventually("a loop-stopped invocation", within: 10) { () -> Bool? in
            let listing = try await invocations()
            let ok = listing.invocations.filter { $0.outcome == "ok" }.count
            return listing.invocations.contains { $0.outcome == "loop-stopped" } && ok >= 16 ? true : nil
        }
        // Depths 0 to 15 ran; the event at depth 16 was not run, once (no retries).
        try await Task.sleep(for: Self.settle)
        let listing = try await invocations()
        let outcomes = listing.invocations.reduce(into: [String: Int]()) { $0[$1.outcome, default: 0] += 1 }
        #expect(outcomes == ["ok": 16, "loop-stopped": 1], "\(outcomes)")
        let stopped = try #require(listing.invocations.first { $0.outcome == "loop-stopped" })
        #expect(stopped.trigger == "loop-created")
        #expect(stopped.source == "bucket")
        #expect(stopped.attempt == 1)
        #expect(stopped.error_message?.contains("chains stop at depth 16") == true, "\(stopped.error_message ?? "nil")")
        // The table says why too, on the loop-stopped row.
        let table = try FlintBinary.run(["invocations", "--function", "copier", "--limit", "100", "--project", root])
        let stoppedRow = table.stdout.split(separator: "\n").first { $0.contains("loop-stopped") }
        #expect(stoppedRow?.contains("not run: 16 invocations, each caused by the one before") == true, "\(table.stdout)")

        let copied = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(copied == (0 ... 15).map { "gen-\($0).txt" })
        let files = try FileManager.default.contentsOfDirectory(atPath: project.bucketPath("loop")).sorted()
        #expect(files == (0 ... 16).map { "gen-\($0).txt" }.sorted())

        let dead = try await BusEndToEndTests.offThread {
            try FlintBinary.run(["deadletters", "--json", "--function", "copier", "--project", root])
        }
        let letters = try #require(try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [String: Any])["deadletters"] as? [[String: Any]]
        #expect(letters?.count == 1)
        #expect(letters?.first?["attempts"] as? Int == 1, "a loop-stopped event is not retried")

        // Nothing more runs later.
        try await Task.sleep(for: .milliseconds(300))
        let after = try await daemon.request("GET", "/v1/invocations?function=copier&limit=100", authorized: true).json()
        #expect((after["invocations"] as? [Any])?.count == 17)
    }

    @Test func outputsAppearWhole_andAFailedInvocationsOutputsNever() async throws {
        let project = try TestProject()
        try project.write("functions/writer/write.py", """
            import os, sys, time
            sys.stdin.read()
            chunk = bytes(range(256)) * 4096  # 1 MiB
            with open(os.path.join(os.environ["FLINT_OUTPUT_DIR"], "big.bin"), "wb") as f:
                for _ in range(8):
                    f.write(chunk)
                    f.flush()
                    time.sleep(0.04)

            """)
        try project.write("functions/writer/function.yaml", "name: writer\ncommand: [\"python3\", \"-I\", \"./write.py\"]\noutput: out\n")
        try project.write("functions/breaker/break.py", """
            import os, sys
            sys.stdin.read()
            with open(os.path.join(os.environ["FLINT_OUTPUT_DIR"], "partial.bin"), "wb") as f:
                f.write(b"x" * 1048576)
            os.makedirs(os.path.join(os.environ["FLINT_OUTPUT_DIR"], "sub"))
            with open(os.path.join(os.environ["FLINT_OUTPUT_DIR"], "sub", "also.bin"), "wb") as f:
                f.write(b"y")
            print("failing on purpose", file=sys.stderr)
            sys.exit(1)

            """)
        try project.write(
            "functions/breaker/function.yaml", "name: breaker\ncommand: [\"python3\", \"-I\", \"./break.py\"]\noutput: out\nretries: 0\n")
        let recorder = try project.addObjectEventRecorder("record")
        try project.addBucketTrigger("make-big", function: "writer", bucket: "in", prefix: "ok/")
        try project.addBucketTrigger("make-broken", function: "breaker", bucket: "in", prefix: "fail/")
        try project.addBucketTrigger("see-out", function: "record", bucket: "out")
        try project.addWatcherProbe(function: "record")
        let daemon = try await project.startWatchingDaemon()
        let input = project.bucketPath("in")
        try FileManager.default.createDirectory(atPath: input + "/ok", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: input + "/fail", withIntermediateDirectories: true)
        try writeObject(input + "/fail/job.txt", Data("fail".utf8))
        try writeObject(input + "/ok/job.txt", Data("ok".utf8))

        // Watch the output bucket as closely as a test can while the writer writes slowly.
        let full = 8 * 1_048_576
        let target = project.bucketPath("out") + "/big.bin"
        var sizesSeen: Set<Int> = []
        let deadline = Date().addingTimeInterval(10)
        while try recorder.received().isEmpty {
            guard Date() < deadline else { throw TestFailure("no event for big.bin in bucket out within 10s") }
            var info = stat()
            if stat(target, &info) == 0 { sizesSeen.insert(Int(info.st_size)) }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(sizesSeen.allSatisfy { $0 == full }, "sizes seen in the bucket: \(sizesSeen.sorted())")
        let event = try #require(try recorder.received().first)
        #expect(event.realKey == "big.bin")
        #expect(event.eventName == "ObjectCreated:Copy")
        #expect(event.size == full)
        #expect(event.observedSize == full)
        #expect(event.eTag == (try await md5sum(target)))

        let failed = try await eventually("the breaker's failed invocation") { () -> [String: Any]? in
            let listing = try await daemon.request("GET", "/v1/invocations?function=breaker", authorized: true).json()
            return (listing["invocations"] as? [[String: Any]])?.first
        }
        #expect(failed["outcome"] as? String == "error", "\(failed)")
        try await Self.mark(project, recorder, bucket: "out")
        #expect(Self.counts(try recorder.received()) == ["big.bin": 1, "marker.txt": 1])
        #expect(try FileManager.default.subpathsOfDirectory(atPath: project.bucketPath("out")).sorted() == ["big.bin", "marker.txt"])
        let scratch = project.dataDirectory + "/outputs"
        #expect((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [] == [], "no output directory is left behind")
    }

    // MARK: - The transcoding sample

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/convert"),
                   "the transcode sample needs ImageMagick's /usr/bin/convert (apt-get install -y imagemagick)"))
    func transcodeSample_makesThreeValidImages_andATextFileDeadLettersWithoutStoppingTheOthers() async throws {
        let project = try TestProject()
        try project.appendToConfig("bus: {retry_base: 20ms, retry_max: 100ms}\n")
        try FileManager.default.copyItem(atPath: Self.repositoryRoot + "/samples/transcode", toPath: project.root + "/functions/transcode")
        try FileManager.default.copyItem(atPath: Self.repositoryRoot + "/triggers/transcode.yaml", toPath: project.root + "/triggers/transcode.yaml")
        try project.addWatcherProbe(function: "transcode")
        let daemon = try await project.startWatchingDaemon()
        try await runTool("/usr/bin/convert", ["-size", "640x480", "gradient:red-blue", "photo.jpg"], directory: project.root)
        let root = project.root
        let put = { (arguments: [String]) async throws -> FlintBinary.Output in
            try await BusEndToEndTests.offThread { try FlintBinary.run(["put"] + arguments + ["--project", root]) }
        }

        let first = try await put(["uploads", root + "/photo.jpg"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "photo.jpg\n")
        let transcoded = project.bucketPath("transcoded")
        try await BusEndToEndTests.waitUntil("three outputs of photo.jpg", within: 10) {
            ["photo-thumb.png", "photo.webp", "photo.jpg"].allSatisfy { FileManager.default.fileExists(atPath: transcoded + "/" + $0) }
        }
        try Self.expectImages(in: transcoded, stem: "photo")

        // A text file fails on each of its 3 attempts and is dead-lettered; an image put right
        // after it is transcoded all the same.
        try project.write("notes.txt", "this is not an image\n")
        #expect(try await put(["uploads", root + "/notes.txt"]).status == 0)
        #expect(try await put(["uploads", root + "/photo.jpg", "later/photo2.jpg"]).status == 0)
        try await BusEndToEndTests.waitUntil("three outputs of later/photo2.jpg", within: 10) {
            ["photo2-thumb.png", "photo2.webp", "photo2.jpg"].allSatisfy { FileManager.default.fileExists(atPath: transcoded + "/later/" + $0) }
        }
        try Self.expectImages(in: transcoded + "/later", stem: "photo2")

        let letters = try await eventually("the text file's dead letter", within: 10) { () -> [[String: Any]]? in
            let result = try await BusEndToEndTests.offThread { try FlintBinary.run(["deadletters", "--json", "--project", root]) }
            guard result.status == 0 else { throw TestFailure("flint deadletters: \(result.stderr)") }
            let letters = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["deadletters"] as? [[String: Any]] ?? []
            return letters.isEmpty ? nil : letters
        }
        #expect(letters.count == 1)
        let letter = try #require(letters.first)
        #expect(letter["function"] as? String == "transcode")
        #expect(letter["attempts"] as? Int == 3, "the first attempt and the sample's 2 retries")
        #expect((letter["last_error"] as? String)?.contains("exit status 1") == true, "\(letter["last_error"] ?? "nil")")
        let lastInvocation = try #require(letter["last_invocation_id"] as? String)
        let log = try await daemon.request("GET", "/v1/invocations/\(lastInvocation)/logs", authorized: true)
        #expect(log.text.contains("notes.txt is not an image"), "the failure says why: \(log.text)")
        let body = try #require((letter["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let record = (body["Records"] as? [[String: Any]])?.first
        #expect(((record?["s3"] as? [String: Any])?["object"] as? [String: Any])?["key"] as? String == "notes.txt")
        let failedAttempts = { () async throws -> Int in
            let listing = try await daemon.request("GET", "/v1/invocations?function=transcode&limit=100", authorized: true).json()
            return ((listing["invocations"] as? [[String: Any]]) ?? []).filter { $0["outcome"] as? String == "error" }.count
        }
        _ = try await eventually("three failed attempts in the ledger") { try await failedAttempts() >= 3 ? true : nil }
        try await Task.sleep(for: Self.settle)
        #expect(try await failedAttempts() == 3)
        // Nothing of the text file reached the output bucket.
        #expect(try FileManager.default.subpathsOfDirectory(atPath: transcoded).sorted() == [
            "later", "later/photo2-thumb.png", "later/photo2.jpg", "later/photo2.webp", "photo-thumb.png", "photo.jpg", "photo.webp",
        ])
    }

    /// The sample's handler on its own, for what a daemon makes rare: an object replaced since
    /// its event (a second upload of the key) and a name too long for the outputs' names.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/convert"), "needs ImageMagick (apt-get install imagemagick)"))
    func transcodeSample_writesNothingForAReplacedOrGoneObject_andRefusesANameTooLongClearly() async throws {
        let project = try TestProject()
        let uploads = project.bucketPath("uploads")
        try FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
        let runAs = { (user: [String], key: String, eTag: String) async throws -> (Subprocess.Output, [String]) in
            let outputs = project.root + "/out-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
            let encoded = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key
            let event = #"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"\#(encoded)","eTag":"\#(eTag)"}}}]}"#
            let command = user + ["/usr/bin/python3", "-I", Self.repositoryRoot + "/samples/transcode/transcode.py"]
            let result = try await BusEndToEndTests.offThread {
                try Subprocess.run(
                    command[0], Array(command.dropFirst()), directory: project.root,
                    stdin: Data(event.utf8), environment: ["FLINT_OBJECT_PATH": uploads + "/" + key, "FLINT_OUTPUT_DIR": outputs])
            }
            return (result, try FileManager.default.subpathsOfDirectory(atPath: outputs))
        }
        let run = { (key: String, eTag: String) in try await runAs([], key, eTag) }
        _ = try await runTool("/usr/bin/convert", ["-size", "64x48", "xc:blue", uploads + "/photo.jpg"])
        let current = try Subprocess.output(of: "/usr/bin/md5sum", [uploads + "/photo.jpg"]).prefix(32)

        let (made, madeFiles) = try await run("photo.jpg", String(current))
        #expect(made.status == 0, "\(made.stderr)")
        #expect(madeFiles.sorted() == ["photo-thumb.png", "photo.jpg", "photo.webp"])

        let (stale, staleFiles) = try await run("photo.jpg", "0123456789abcdef0123456789abcdef")
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(staleFiles.isEmpty, "a replaced object's older event writes nothing")
        #expect(stale.stderr.contains("photo.jpg: replaced since this event"), "\(stale.stderr)")

        let long = String(repeating: "x", count: 248) + ".jpg"
        try FileManager.default.copyItem(atPath: uploads + "/photo.jpg", toPath: uploads + "/" + long)
        let (refused, refusedFiles) = try await run(long, String(current))
        #expect(refused.status == 1)
        #expect(refusedFiles.isEmpty)
        #expect(refused.stderr.contains("its outputs' names would be 258 bytes, over Linux's 255; shorten the file name"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Traceback"), "\(refused.stderr)")

        // Gone since its event: nothing to do, which no retry would change.
        let (gone, goneFiles) = try await run("deleted.jpg", String(current))
        #expect(gone.status == 0, "\(gone.stderr)")
        #expect(goneFiles.isEmpty)
        #expect(gone.stderr.contains("deleted.jpg: \(uploads)/deleted.jpg is not there any more"), "\(gone.stderr)")

        // Behind a directory the handler's user cannot enter: there, so a failure (retried, then
        // a dead letter to replay once fixed), not an object gone.
        guard geteuid() == 0 else { return }
        try FileManager.default.createDirectory(atPath: uploads + "/private", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(atPath: uploads + "/photo.jpg", toPath: uploads + "/private/p.jpg")
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let (hidden, hiddenFiles) = try await runAs(nobody, "private/p.jpg", String(current))
        #expect(hidden.status == 1, "\(hidden.stderr)")
        #expect(hiddenFiles.isEmpty)
        #expect(hidden.stderr.contains("private/p.jpg: the handler's user (uid 65534) cannot reach \(uploads)/private/p.jpg"), "\(hidden.stderr)")
    }

    /// The three outputs of `stem` start with the magic bytes of PNG, WebP and JPEG.
    static func expectImages(in directory: String, stem: String) throws {
        let png = try #require(FileManager.default.contents(atPath: "\(directory)/\(stem)-thumb.png"))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(stem)-thumb.png is a PNG")
        let webp = try #require(FileManager.default.contents(atPath: "\(directory)/\(stem).webp"))
        #expect(webp.count > 12 && Array(webp.prefix(4)) == Array("RIFF".utf8) && Array(webp[8 ..< 12]) == Array("WEBP".utf8), "\(stem).webp is a WebP")
        let jpeg = try #require(FileManager.default.contents(atPath: "\(directory)/\(stem).jpg"))
        #expect(Array(jpeg.prefix(3)) == [0xFF, 0xD8, 0xFF], "\(stem).jpg is a JPEG")
    }

    // MARK: - Symbolic links

    /// A bucket directory that is a symlink is not watched, and `flint up`'s listing says so.
    @Test func aBucketThatIsASymlink_isListedAsNotWatched() async throws {
        let (project, _) = try Self.recordingProject()
        try project.addBucketTrigger("linked-changes", function: "record", bucket: "linked")
        let outside = project.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project.bucketPath("uploads"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.bucketPath("linked"), withDestinationPath: outside)
        let daemon = try await project.startWatchingDaemon()
        let output = try daemon.stop().stdout
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("  bucket ") }
        #expect(lines.contains { $0.hasPrefix("  bucket linked  ") && $0.hasSuffix("NOT WATCHED: its triggers will not fire (the log says why)") }, "\(output)")
        #expect(lines.contains { $0 == "  bucket uploads  \(project.bucketPath("uploads"))" }, "\(output)")
    }

    @Test func symlinksInABucket_neverFire_andAreNeverFollowed() async throws {
        let (project, recorder) = try Self.recordingProject()
        let bucket = project.bucketPath("uploads")
        let outside = project.root + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/dir/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bucket, withIntermediateDirectories: true)
        try writeObject(outside + "/target.txt", Data("target".utf8))
        try writeObject(outside + "/dir/inner.txt", Data("inner".utf8))
        try writeObject(outside + "/dir/sub/deep.txt", Data("deep".utf8))
        // Links there before the start-up scan...
        try FileManager.default.createSymbolicLink(atPath: bucket + "/link-file.txt", withDestinationPath: outside + "/target.txt")
        try FileManager.default.createSymbolicLink(atPath: bucket + "/link-dir", withDestinationPath: outside + "/dir")
        let daemon = try await project.startWatchingDaemon()

        // ...and links made while watching: created in place, and renamed in.
        try FileManager.default.createSymbolicLink(atPath: bucket + "/live-link.txt", withDestinationPath: outside + "/target.txt")
        try FileManager.default.createSymbolicLink(atPath: bucket + "/live-dir", withDestinationPath: outside + "/dir")
        try FileManager.default.createSymbolicLink(atPath: outside + "/moved-link.txt", withDestinationPath: outside + "/target.txt")
        try renameFile(outside + "/moved-link.txt", bucket + "/moved-link.txt")
        // Changes where the links point.
        try writeObject(outside + "/target.txt", Data("target, rewritten".utf8))
        try writeObject(outside + "/dir/new.txt", Data("new".utf8))
        try writeObject(outside + "/dir/sub/new-deep.txt", Data("new deep".utf8))
        try FileManager.default.createDirectory(atPath: outside + "/dir/later", withIntermediateDirectories: true)
        try writeObject(outside + "/dir/later/file.txt", Data("later".utf8))
        // A link removed: it never was an object, so nothing is removed either.
        #expect(unlink(bucket + "/link-file.txt") == 0)

        try await Self.mark(project, recorder)
        let received = try recorder.received()
        #expect(Self.counts(received) == ["marker.txt": 1], "\(received.map(\.realKey))")
        let indexed = try await BusEndToEndTests.offThread {
            try BusEndToEndTests.sqlite(project.dataDirectory + "/flint.sqlite", "SELECT key FROM objects WHERE bucket = 'uploads' ORDER BY key")
        }
        #expect(indexed == "marker.txt", "the object index holds no link and nothing behind one")
        // The links are still links, and the targets untouched by Flint.
        #expect((try FileManager.default.attributesOfItem(atPath: bucket + "/live-dir")[.type] as? FileAttributeType) == .typeSymbolicLink)
        _ = daemon
    }
}
