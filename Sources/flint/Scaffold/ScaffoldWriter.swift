internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Writes `flint init`'s files, never over anything, and takes them all back if a step fails.
///
/// What it makes gets its mode from here, never from the umask: directories 0755, files 0644 (0755
/// when executable), and what a build step makes is opened up likewise, so that handlers running
/// as another user (`nobody`, when `flint up` runs as root) can read and run them. Directories
/// that existed keep their modes.
final class ScaffoldWriter {
    let root: String
    /// What was written, relative to the root, in order.
    private(set) var written: [String] = []
    /// What this writer made, in order: removed in reverse unless committed.
    private var made: [Made] = []
    private enum Made {
        /// A file it wrote.
        case file(String)
        /// A directory it made, which others may have written into meanwhile (a `functions/`
        /// made for this function, another `flint init` at once): removed only when empty.
        case directory(String)
        /// What a build step made (`vendor/`, a binary): removed whole.
        case product(String)
    }
    private var committed = false

    init(root: String) {
        self.root = root
    }

    deinit {
        if !committed { rollback() }
    }

    /// `path` as the user knows it: relative to the project when inside it.
    func display(_ path: String) -> String {
        Self.relative(path, to: root)
    }

    /// `path` relative to `directory` when it is inside it, else as it is.
    static func relative(_ path: String, to directory: String) -> String {
        path.hasPrefix(directory + "/") ? String(path.dropFirst(directory.count + 1)) : path
    }

    func refuseExisting(_ path: String) throws(CLIError) {
        if FileManager.default.fileExists(atPath: path) { throw alreadyExists(path) }
    }

    /// Makes `directory` and the directories above it that are missing. `setting` is the key of
    /// flint.yaml that names it, and `content` what goes into it, for the message when a file
    /// stands where it should be.
    func makeDirectories(_ directory: String, setting: String, for content: String) throws(CLIError) {
        var missing: [String] = []
        var path = directory
        while !path.isEmpty, path != "/" {
            let info: stat
            do throws(SystemCallError) {
                info = try FileSystemCall.status(ofPath: path)
            } catch where error.code == ENOENT {
                missing.append(path)
                path = (path as NSString).deletingLastPathComponent
                continue
            } catch {
                throw failure("cannot look at \(display(path))", error)
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CLIError("\(setting): \"\(display(path))\" is not a directory, and flint init writes \(display(content)) "
                    + "in it; move the file away, or name another directory in flint.yaml (\(setting):)")
            }
            break
        }
        for path in missing.reversed() { try makeDirectory(path) }
    }

    /// Makes `directory`, which must not exist yet (the new function's own).
    func makeDirectory(_ directory: String) throws(CLIError) {
        do throws(SystemCallError) {
            try FileSystemCall.makeDirectory(atPath: directory, mode: 0o755)
        } catch where error.code == EEXIST {
            throw alreadyExists(directory)
        } catch {
            throw failure("cannot make \(display(directory))", error)
        }
        made.append(.directory(directory))
    }

    /// Writes `files` into `directory`, which exists.
    func write(_ files: [FunctionScaffold.File], into directory: String) throws(CLIError) {
        for file in files {
            let path = directory + "/" + file.path
            let fd: CInt
            do throws(SystemCallError) {
                fd = try FileSystemCall.createExclusively(atPath: path, mode: file.executable ? 0o755 : 0o644)
            } catch where error.code == EEXIST {
                throw alreadyExists(path)
            } catch {
                throw failure("cannot write \(display(path))", error)
            }
            made.append(.file(path))
            let outcome = Array(file.contents.utf8).withUnsafeBytes { bytes in
                Result { () throws(SystemCallError) in try FileSystemCall.writeAll(fd, bytes) }
            }
            // close(2) may be the first to report a write that failed (NFS, a full disk).
            let closed = Result { () throws(SystemCallError) in try FileSystemCall.close(fd) }
            do throws(SystemCallError) {
                try outcome.get()
                try closed.get()
            } catch {
                throw failure("cannot write \(display(path))", error)
            }
            written.append(display(path))
        }
    }

    /// Runs `step` in `directory` (Flint's own runner: clean environment, own process group,
    /// rlimits, a timeout); its output is shown only when it fails. Cancelling the task kills the
    /// step's processes and throws `CancellationError`.
    func build(_ step: ScaffoldHandler.BuildStep, in directory: String) async throws {
        let result = try await step.run(in: directory)
        // Whatever it made is taken back if a later step fails, even half of it.
        made.append(.product(directory + "/" + step.product))
        try Task.checkCancellation()
        guard result.record.outcome == .ok else {
            let printed = String(decoding: result.output + result.log, as: UTF8.self)
            let reason = result.record.errorMessage ?? "outcome \(result.record.outcome.rawValue)"
            throw CLIError("cannot prepare the handler (\(step.description)): \(step.command.joined(separator: " ")): \(reason)"
                + (printed.isEmpty ? "" : "\n" + printed) + "\n(install what it needs, or choose another --lang)")
        }
        do throws(SystemCallError) {
            let fd = try FileSystemCall.openDirectory(directory)
            defer { FileSystemCall.closeIgnoringErrors(fd) }
            try BuildProductModes.openUp(step.product, in: fd)
        } catch {
            throw failure("cannot make \(display(directory + "/" + step.product)) readable by handlers", error)
        }
        written.append(display(directory + "/" + step.product))
    }

    /// Keeps what was written: call once every step has succeeded.
    func commit() { committed = true }

    private func alreadyExists(_ path: String) -> CLIError {
        CLIError("\(display(path)) already exists; pick another name, or remove it first (flint init never overwrites)")
    }

    /// `what` failed with `error`: why, and what to do about it.
    private func failure(_ what: String, _ error: SystemCallError) -> CLIError {
        let advice = switch error.code {
        case EACCES, EPERM: "check the owner and mode of the directories there, or run flint init as a user who may write them"
        case ENOSPC, EDQUOT: "the disk (or your quota) is full: free some space"
        case EROFS: "the file system is read-only: choose a project on a writable one"
        case ENOTDIR: "a file stands where a directory should be: move it away"
        default: "fix that, and run flint init again"
        }
        return CLIError("\(what): \(error.reason); \(advice) (nothing was kept)")
    }

    /// Removes what was made, newest first. What cannot be removed is said, for the user to remove.
    private func rollback() {
        for item in made.reversed() {
            switch item {
            case .file(let path):
                if unlink(path) != 0 && errno != ENOENT { cannotRemove(path) }
            case .directory(let path):
                if rmdir(path) != 0 {
                    switch errno {
                    case ENOENT: break
                    case ENOTEMPTY, EEXIST:
                        FileHandle.standardError.write(Data("flint init: left \(display(path)): it holds files flint init did not write\n".utf8))
                    default: cannotRemove(path)
                    }
                }
            case .product(let path):
                // A failed build step may have made nothing.
                guard FileManager.default.fileExists(atPath: path) else { continue }
                do {
                    try FileManager.default.removeItem(atPath: path)
                } catch {
                    cannotRemove(path)
                }
            }
        }
    }

    private func cannotRemove(_ path: String) {
        FileHandle.standardError.write(Data("flint init: could not remove \(display(path)); remove it yourself\n".utf8))
    }
}
