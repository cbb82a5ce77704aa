import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `flint put`, run as the built binary on temporary projects, with no daemon.
struct CLIPutTests {
    private func put(_ project: TestProject, _ arguments: [String], stdin: Data? = nil) throws -> FlintBinary.Output {
        try FlintBinary.run(["put"] + arguments + ["--project", project.root], stdin: stdin)
    }

    /// Every entry under `directory`, dot-files included, relative and sorted.
    private func entries(_ directory: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: directory).sorted()
    }

    /// Bytes of every value, in a length that takes several reads to copy.
    private static let binary = Data((0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })

    @Test func put_copiesTheFileByteForByteUnderItsOwnNameAndPrintsTheKey() throws {
        let project = try TestProject()
        try project.addScriptFunction("thumbs", script: "cat > /dev/null\n")
        try project.addBucketTrigger("thumbs", function: "thumbs", bucket: "uploads")
        let file = project.root + "/photo.jpg"
        try Self.binary.write(to: URL(fileURLWithPath: file))

        let result = try put(project, ["uploads", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "photo.jpg\n")
        #expect(result.stderr.isEmpty)
        #expect(FileManager.default.contents(atPath: project.root + "/buckets/uploads/photo.jpg") == Self.binary)
    }

    /// Run in a subdirectory of the project (the bucket itself, say) without `--project`, put
    /// would make a `buckets/` tree of a second project there: refused, saying where the project
    /// is. The project above is only named, never loaded: its flint.yaml could be anyone's (a
    /// handler's output, which the daemon writes as its own user).
    @Test func put_inASubdirectoryOfAProject_isRefused_namingTheProject() throws {
        let project = try TestProject()
        try project.addScriptFunction("thumbs", script: "cat > /dev/null\n")
        try project.addBucketTrigger("thumbs", function: "thumbs", bucket: "uploads")
        let uploads = project.root + "/buckets/uploads"
        try FileManager.default.createDirectory(atPath: uploads + "/sub", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: project.root + "/x.txt"))

        let refused = try FlintBinary.run(["put", "uploads", project.root + "/x.txt", "y.txt"], directory: uploads + "/sub")
        #expect(refused.status == 1)
        #expect(refused.stderr == "flint put: \(uploads)/sub is not a project (no flint.yaml, nor functions/ and triggers/), but is inside \(project.root), "
            + "which looks like one; run flint put there, or give --project \(project.root) (or --project . to make a project here)\n", "\(refused.stderr)")
        #expect(try entries(uploads) == ["sub"])

        let given = try FlintBinary.run(["put", "uploads", project.root + "/x.txt", "y.txt", "--project", project.root], directory: uploads + "/sub")
        #expect(given.status == 0, "\(given.stderr)")
        #expect(try entries(uploads) == ["sub", "y.txt"])

        // init, inside functions/, would make functions/functions/...
        let initialized = try FlintBinary.run(["init", "two"], directory: project.root + "/functions")
        #expect(initialized.status == 1)
        #expect(initialized.stderr.contains("flint init: \(project.root)/functions is not a project"), "\(initialized.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/functions"))
        let validated = try FlintBinary.run(["validate"], directory: uploads)
        #expect(validated.stderr.contains("and is inside \(project.root), which looks like a project"), "\(validated.stderr)")

        // A directory above with a functions/ of something else (no flint.yaml, no triggers/)
        // is no project: a new one is made here.
        let home = project.root + "-home"
        try FileManager.default.createDirectory(atPath: home + "/functions", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home + "/newproj", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let fresh = try FlintBinary.run(["init", "one", "--lang", "sh", "--trigger", "none"], directory: home + "/newproj")
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/newproj/functions/one/function.yaml"))
    }

    /// A bucket deleted under a running daemon is no longer watched: `flint put` makes it again,
    /// and says that the daemon needs a reload to see it.
    @Test func put_intoABucketDeletedUnderARunningDaemon_saysToReload() throws {
        let project = try TestProject()
        try project.addScriptFunction("thumbs", script: "cat > /dev/null\n")
        try project.addBucketTrigger("thumbs", function: "thumbs", bucket: "uploads")
        let daemon = try RunningDaemon(project)
        try FileManager.default.removeItem(atPath: project.root + "/buckets/uploads")
        let file = project.root + "/x.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let result = try put(project, ["uploads", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("bucket uploads did not exist, so the running Flint does not watch it; run flint reload"), "\(result.stderr)")
        // Once it exists, another put says nothing.
        let again = try put(project, ["uploads", file])
        #expect(again.stderr.isEmpty, "\(again.stderr)")
        withExtendedLifetime(daemon) {}
    }

    /// Bytes that are not UTF-8 would become U+FFFD, quietly another key: refused, as a usage error.
    @Test func put_withAKeyThatIsNotUTF8_isRefused_andWritesNothing() throws {
        let project = try TestProject()
        let file = project.root + "/x.txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let script = #""$0" put uploads "$1" "$(printf 'bad\377')" --project "$2""#
        let result = try Subprocess.run("/bin/sh", ["-c", script, FlintBinary.path, file, project.root], timeout: 60)
        #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("argument 4 (bad\u{FFFD}) is not UTF-8 text"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/buckets/uploads"))
    }

    @Test func put_withAKeyOfDirectoriesSpacesAndUnicode_createsTheDirectoriesAndReportsItInJSON() throws {
        let project = try TestProject()
        try project.write("in.txt", "hello")
        let key = "2024/März photos/café ☕.txt"

        let result = try put(project, ["uploads", project.root + "/in.txt", key, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let path = project.root + "/buckets/uploads/" + key
        let receipt = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(receipt?["bucket"] as? String == "uploads")
        #expect(receipt?["key"] as? String == key)
        #expect(receipt?["size"] as? Int == 5)
        #expect(receipt?["path"] as? String == path)
        #expect(FileManager.default.contents(atPath: path) == Data("hello".utf8))

        let plain = try put(project, ["uploads", project.root + "/in.txt", key])
        #expect(plain.stdout == key + "\n")
    }

    /// Handlers may run as another user, who must read the object and reach it: a put makes
    /// objects 0644 and directories 0755 whatever the umask (077 would have made them private).
    @Test func put_underAStrictUmask_makesObjectsEveryoneCanRead() throws {
        let project = try TestProject()
        try project.write("in.txt", "hello")
        try FileManager.default.createDirectory(atPath: project.root + "/buckets/uploads/kept", withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: project.root + "/buckets/uploads/kept")
        for key in ["new/deeper/a.txt", "kept/b.txt"] {
            let result = try Subprocess.run(
                "/bin/sh", ["-c", #"umask 077 && exec "$0" "$@""#, FlintBinary.path, "put", "uploads", project.root + "/in.txt", key, "--project", project.root])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let mode = { (path: String) in
            ((try FileManager.default.attributesOfItem(atPath: project.root + "/buckets/uploads/" + path))[.posixPermissions] as? Int) ?? 0
        }
        #expect(try mode("new/deeper/a.txt") == 0o644)
        #expect(try mode("new/deeper") == 0o755)
        #expect(try mode("new") == 0o755)
        #expect(try mode("kept/b.txt") == 0o644)
        #expect(try mode("kept") == 0o700, "a directory that was there keeps its mode")

        // The buckets root too, when the put makes it.
        let fresh = try TestProject()
        try fresh.write("in.txt", "hello")
        let result = try Subprocess.run(
            "/bin/sh", ["-c", #"umask 077 && exec "$0" "$@""#, FlintBinary.path, "put", "uploads", fresh.root + "/in.txt", "--project", fresh.root])
        #expect(result.status == 0, "\(result.stderr)")
        let rootMode = (try FileManager.default.attributesOfItem(atPath: fresh.root + "/buckets"))[.posixPermissions] as? Int
        #expect(rootMode == 0o755)
    }

    @Test func put_fromStdin_writesWhatItReadsUnderTheKeyAndRefusesToGuessAKey() throws {
        let project = try TestProject()
        let result = try put(project, ["uploads", "-", "piped/data.bin"], stdin: Self.binary)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "piped/data.bin\n")
        #expect(FileManager.default.contents(atPath: project.root + "/buckets/uploads/piped/data.bin") == Self.binary)

        let noKey = try put(project, ["uploads", "-"], stdin: Data("x".utf8))
        #expect(noKey.status == 64)
        #expect(noKey.stderr.contains("reading stdin (FILE -) needs a KEY to name the object: flint put uploads - KEY"), "\(noKey.stderr)")
    }

    @Test func put_overAnExistingObject_replacesItAndLeavesNoTemporaryBehind() throws {
        let project = try TestProject()
        try project.write("first.txt", "first")
        try project.write("second.txt", "second, longer")
        #expect(try put(project, ["uploads", project.root + "/first.txt", "a/doc.txt"]).status == 0)
        let again = try put(project, ["uploads", project.root + "/second.txt", "a/doc.txt"])
        #expect(again.status == 0, "\(again.stderr)")

        let bucket = project.root + "/buckets/uploads"
        #expect(FileManager.default.contents(atPath: bucket + "/a/doc.txt") == Data("second, longer".utf8))
        #expect(try entries(bucket) == ["a", "a/doc.txt"])
    }

    @Test func put_whenTheKeyIsADirectory_failsAndLeavesNoTemporaryBehind() throws {
        let project = try TestProject()
        try project.write("in.txt", "x")
        try project.write("buckets/uploads/taken/inside.txt", "y")

        let result = try put(project, ["uploads", project.root + "/in.txt", "taken"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("/buckets/uploads/taken is a directory, so no object can take its name; choose another key"), "\(result.stderr)")
        #expect(try entries(project.root + "/buckets/uploads") == ["taken", "taken/inside.txt"])
    }

    @Test func put_whenReadingTheInputFails_removesItsTemporary() throws {
        let project = try TestProject()
        // A directory as stdin: open(2) takes it, the first read(2) fails with EISDIR, after
        // the temporary is made.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FlintBinary.path)
        process.arguments = ["put", "uploads", "-", "k.txt", "--project", project.root]
        let input = try #require(FileHandle(forReadingAtPath: project.root + "/functions"))
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try input.close()

        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("flint put: reading stdin failed: Is a directory; nothing was put in bucket uploads"), "\(stderr)")
        #expect(try entries(project.root + "/buckets/uploads").isEmpty)
    }

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func put_interruptedMidway_removesItsTemporary_andDiesOfTheSignal(signal: Int32) throws {
        let project = try TestProject()
        // Input that never ends until the test says so: the put is mid-copy when interrupted.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FlintBinary.path)
        process.arguments = ["put", "uploads", "-", "big.iso", "--project", project.root]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Self.binary)
        let bucket = project.root + "/buckets/uploads"
        let deadline = Date().addingTimeInterval(10)
        while (try? entries(bucket))?.contains(where: { $0.contains(".flint-put-") }) != true, Date() < deadline {
            usleep(10_000)
        }
        #expect(try entries(bucket).contains { $0.hasPrefix(".big.iso.flint-put-") }, "the copy is under way")

        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        try input.fileHandleForWriting.close()

        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(try entries(bucket).isEmpty)
    }

    @Test func put_atASymbolicLink_replacesTheLinkAndNeverWritesWhereItPoints() throws {
        let project = try TestProject()
        try project.write("outside.txt", "untouched")
        try project.write("in.txt", "new")
        try FileManager.default.createDirectory(atPath: project.root + "/buckets/uploads", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.root + "/buckets/uploads/link.txt", withDestinationPath: project.root + "/outside.txt")

        let result = try put(project, ["uploads", project.root + "/in.txt", "link.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        let path = project.root + "/buckets/uploads/link.txt"
        let type = try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType
        #expect(type == .typeRegular)
        #expect(FileManager.default.contents(atPath: path) == Data("new".utf8))
        #expect(FileManager.default.contents(atPath: project.root + "/outside.txt") == Data("untouched".utf8))
    }

    @Test(arguments: [
        ("../etc", "bucket \"../etc\" is not a bucket name"),
        ("a/b", "bucket \"a/b\" is not a bucket name"),
    ])
    func put_refusesABucketNameThatIsNotOneDirectory(bucket: String, message: String) throws {
        let project = try TestProject()
        try project.write("in.txt", "x")
        let result = try put(project, [bucket, project.root + "/in.txt"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/buckets"))
    }

    @Test(arguments: [
        ("a/../b.txt", "an object key cannot contain . or .. components; give another KEY"),
        ("a//b.txt", "an object key cannot contain an empty path component (//); give another KEY"),
        ("/abs.txt", "an object key is relative to its bucket: it cannot start with /; give another KEY"),
        ("dir/", "an object key names a file: it cannot end with /; give another KEY"),
        (".hidden", "would never fire a bucket trigger: the watcher ignores dot-files"),
        ("a/.git/config", "would never fire a bucket trigger: the watcher ignores dot-files, files in dot-directories"),
        ("upload.part", "names ending .tmp, .part or .swp; give another KEY"),
    ])
    func put_refusesAKeyThatIsInvalidOrIgnoredByTheWatcher(key: String, message: String) throws {
        let project = try TestProject()
        try project.write("in.txt", "x")
        let result = try put(project, ["uploads", project.root + "/in.txt", key])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("key \"\(key)\""), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/buckets"))
    }

    @Test func put_ofAnIgnoredFileName_asksForAKey() throws {
        let project = try TestProject()
        try project.write("notes.swp", "x")
        let result = try put(project, ["uploads", project.root + "/notes.swp"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("key \"notes.swp\" would never fire a bucket trigger"), "\(result.stderr)")
        #expect(result.stderr.contains("give a KEY as the third argument"), "\(result.stderr)")
    }

    @Test func put_intoABucketNothingWatches_storesTheFile_andSaysSo() throws {
        let project = try TestProject()
        try project.write("in.txt", "hello")
        let result = try put(project, ["uplaods", project.root + "/in.txt"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("no trigger of this project watches bucket uplaods"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: project.root + "/buckets/uplaods/in.txt"))
    }

    @Test func put_withAProjectThatDoesNotExist_createsNothing() throws {
        let project = try TestProject()
        try project.write("in.txt", "hello")
        let missing = project.root + "/nonexistent"
        let result = try FlintBinary.run(["put", "uploads", project.root + "/in.txt", "--project", missing])
        #expect(result.status == 1)
        #expect(result.stderr.contains("project directory \(missing) does not exist"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func put_ofAMissingFileOrADirectory_failsAndCreatesNothing() throws {
        let project = try TestProject()
        let missing = try put(project, ["uploads", project.root + "/nope.jpg"])
        #expect(missing.status == 1)
        // Said once, as the line's start: not "Error: flint put: ...".
        #expect(missing.stderr == "flint put: \(project.root)/nope.jpg does not exist; give the path of a file to put, or - to read stdin\n", "\(missing.stderr)")

        let directory = try put(project, ["uploads", project.root + "/functions", "f"])
        #expect(directory.status == 1)
        #expect(directory.stderr.contains("flint put: \(project.root)/functions is a directory; flint put puts one file"), "\(directory.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/buckets"))
    }

    @Test(.enabled(if: getuid() != 0, "root reads any file"))
    func put_ofAnUnreadableFile_failsAndSaysToCheckItsPermissions() throws {
        let project = try TestProject()
        try project.write("secret.txt", "x")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: project.root + "/secret.txt")
        let result = try put(project, ["uploads", project.root + "/secret.txt"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot be read (permission denied); check its permissions"), "\(result.stderr)")
    }

    @Test func put_throughASymlinkedDirectoryInsideTheBucket_isRefusedAndWritesNothingThere() throws {
        let project = try TestProject()
        try project.write("in.txt", "x")
        let elsewhere = project.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project.root + "/buckets/uploads", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.root + "/buckets/uploads/linked", withDestinationPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: project.root + "/buckets/linkedbucket", withDestinationPath: elsewhere)

        let inner = try put(project, ["uploads", project.root + "/in.txt", "linked/sub/x.txt"])
        #expect(inner.status == 1)
        #expect(inner.stderr.contains("flint put: \(project.root)/buckets/uploads/linked is a symbolic link; flint put never writes through a link"), "\(inner.stderr)")

        let bucket = try put(project, ["linkedbucket", project.root + "/in.txt", "x.txt"])
        #expect(bucket.status == 1)
        #expect(bucket.stderr.contains("\(project.root)/buckets/linkedbucket is a symbolic link"), "\(bucket.stderr)")
        #expect(try entries(elsewhere).isEmpty)
    }

    /// A file where a bucket or one of a key's directories should be: named for what it is.
    @Test func put_whereAFileTakesABucketsOrADirectorysName_saysWhichAndWhatToDo() throws {
        let project = try TestProject()
        try project.write("in.txt", "x")
        try project.write("buckets/uploads", "a file")
        let bucket = try put(project, ["uploads", project.root + "/in.txt"])
        #expect(bucket.status == 1)
        #expect(bucket.stderr == "flint put: bucket uploads at \(project.root)/buckets/uploads is a file, not a directory "
            + "(a bucket is a directory under the buckets root); move that file away\n", "\(bucket.stderr)")
        try project.write("buckets/other/sub", "a file")
        let key = try put(project, ["other", project.root + "/in.txt", "sub/x.txt"])
        #expect(key.status == 1)
        #expect(key.stderr.contains("\(project.root)/buckets/other/sub is a file, not a directory, so nothing can be put under it; choose another key"), "\(key.stderr)")
    }

    @Test func put_writesUnderTheBucketsRootOfFlintYaml() throws {
        let project = try TestProject()
        try project.appendToConfig("buckets: store/objects\n")
        try project.write("in.txt", "x")
        let result = try put(project, ["uploads", project.root + "/in.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: project.root + "/store/objects/uploads/in.txt") == Data("x".utf8))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/buckets"))
    }

    /// A buckets root linked to a disk that is not mounted: said, not "No such file or directory".
    @Test func put_intoABucketsRootThatIsADanglingLink_saysSo() throws {
        let project = try TestProject()
        #expect(symlink(project.root + "/mnt/disk/buckets", project.root + "/buckets") == 0)
        try project.write("in.txt", "x")
        let result = try put(project, ["uploads", project.root + "/in.txt"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the buckets root \(project.root)/buckets is a symbolic link to nothing (its target is missing: a disk not mounted?)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/mnt"), "nothing made where the link points")
    }
}
