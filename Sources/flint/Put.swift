internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a file into a bucket, as one complete object, and print its key.",
        discussion: """
            Copies FILE (or stdin, for -) to BUCKET/KEY under the project's buckets root (buckets: in \
            flint.yaml), creating the bucket and the key's directories as needed. The object appears in \
            one step, by a rename, so a running daemon's bucket triggers see it once and complete; \
            with the daemon down, the scan at its start finds it. Keys the watcher ignores (dot-files, \
            names in dot-directories, names ending \(ignoredSuffixes)) are refused, and so are symbolic \
            links inside the bucket. Exits 64 for a bad BUCKET or KEY, 1 when FILE cannot be read or \
            the object cannot be written; then no object is put.
            """)

    /// `ObjectKey.ignoredSuffixes` as a sentence says them: ".tmp, .part or .swp".
    static let ignoredSuffixes: String = {
        let suffixes = ObjectKey.ignoredSuffixes
        guard let last = suffixes.last, suffixes.count > 1 else { return suffixes.last ?? "" }
        return suffixes.dropLast().joined(separator: ", ") + " or " + last
    }()

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The bucket: a directory directly under the buckets root, e.g. uploads.")
    var bucket: String

    @Argument(help: ArgumentHelp("The file to put, or - for stdin.", valueName: "file"))
    var file: String

    @Argument(help: ArgumentHelp(
        "The object's key: its path inside the bucket, / between directories. Default: FILE's name.", valueName: "key"))
    var keyArgument: String?

    @Flag(help: "Print {\"bucket\", \"key\", \"size\", \"path\"} as JSON instead of the key.")
    var json = false

    /// Stdin, as FILE names it.
    static let standardInput = "-"

    /// The object's key: KEY, else FILE's last path component (never for stdin: `validate()`).
    var key: String {
        keyArgument ?? (PathComponents.of(file, omittingEmpty: true).last ?? file)
    }

    func validate() throws {
        if let problem = BucketName.problem(with: bucket) {
            throw ValidationError("bucket \(problem)")
        }
        if file == Self.standardInput, keyArgument == nil {
            throw ValidationError("reading stdin (FILE -) needs a KEY to name the object: flint put \(bucket) - KEY")
        }
        // The advice depends on where the key came from.
        let fix = keyArgument == nil ? "give a KEY as the third argument" : "give another KEY"
        if let problem = ObjectKey.problem(with: key) {
            throw ValidationError("key \"\(key)\": \(problem); \(fix)")
        }
        if ObjectKey.isIgnored(key) {
            throw ValidationError(
                "key \"\(key)\" would never fire a bucket trigger: the watcher ignores dot-files, files in dot-directories "
                    + "and names ending \(Self.ignoredSuffixes); \(fix)")
        }
    }

    func run() throws {
        let root = try ProjectLocator.existingRoot(projectOptions.project)
        try ProjectLocator.refuseOutsideAProject(root, givenProject: projectOptions.project, command: "put")
        // Loaded once: it gives the buckets root and, below, whether anything uses the bucket. A
        // project that does not load (a broken function) still takes files, from flint.yaml alone.
        let project = try? ProjectLoader.load(root: root)
        let config = try project?.config ?? ProjectLocator.config(root: root)
        let writer = BucketObjectWriter(bucketsRoot: ProjectLocator.absolute(Project.resolve(config.buckets, against: root)), bucket: bucket)

        // The input is opened before the bucket is touched: a FILE that cannot be read changes nothing.
        let source = try openSource()
        defer { if file != Self.standardInput { FileSystemCall.closeIgnoringErrors(source) } }
        let sourceName = file == Self.standardInput ? "stdin" : file
        var isDirectory: ObjCBool = false
        let bucketExisted = FileManager.default.fileExists(atPath: writer.path(of: ""), isDirectory: &isDirectory) && isDirectory.boolValue
        let size = try writer.write(key: key, from: source, sourceName: sourceName)

        if json {
            let receipt = Receipt(bucket: bucket, key: key, size: size, path: writer.path(of: key))
            StandardOutput.write(FlintJSON.encode(receipt) + Data("\n".utf8))
        } else {
            StandardOutput.write(key + "\n")
        }
        if let project, !Self.isUsed(bucket, in: project) {
            FileHandle.standardError.write(Data(
                "flint put: note: no trigger of this project watches bucket \(bucket) and no function writes to it; the file is stored, but runs nothing (a typo?)\n".utf8))
        } else if !bucketExisted, DaemonFiles(directory: Project.resolve(config.data, against: root)).liveDaemon != nil {
            // A running daemon watches the buckets it found at its start (or last reload).
            FileHandle.standardError.write(Data(
                "flint put: note: bucket \(bucket) did not exist, so the running Flint does not watch it; run flint reload, and its triggers fire for what is in it\n".utf8))
        }
    }

    /// Whether a bucket trigger watches `bucket` or a function's `output` names it.
    private static func isUsed(_ bucket: String, in project: Project) -> Bool {
        project.triggers.contains { trigger in
            if case .bucket(let watched) = trigger.source { return watched.bucket == bucket }
            return false
        } || project.functions.values.contains { $0.output == bucket }
    }

    /// What `--json` prints.
    private struct Receipt: Encodable {
        let bucket: String
        let key: String
        let size: Int64
        /// The object's absolute path.
        let path: String
    }

    /// Stdin, or FILE opened for reading; a directory is refused (read(2) would fail on it only later).
    private func openSource() throws(CLIError) -> CInt {
        if file == Self.standardInput { return STDIN_FILENO }
        let fd: CInt
        do throws(SystemCallError) {
            fd = try FileSystemCall.openForReading(file)
        } catch where error.code == ENOENT {
            throw CLIError("flint put: \(file) does not exist; give the path of a file to put, or - to read stdin")
        } catch where error.code == EACCES {
            throw CLIError("flint put: \(file) cannot be read (permission denied); check its permissions, or run flint put as its owner")
        } catch {
            throw CLIError("flint put: cannot open \(file): \(error.reason)")
        }
        let isDirectory = (try? FileSystemCall.status(of: fd)).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
        if isDirectory {
            FileSystemCall.closeIgnoringErrors(fd)
            throw CLIError("flint put: \(file) is a directory; flint put puts one file: run it once for each file in it")
        }
        return fd
    }
}
