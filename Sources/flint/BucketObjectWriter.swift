internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Puts one object into a bucket the way the bucket watcher must see it: complete, in one step.
///
/// The content goes to a temporary dot-file beside the destination (the watcher ignores
/// dot-files), which is fsynced, renamed over the destination, and the directory fsynced: the
/// watcher sees one complete file move in, and after a crash the key holds the old object or the
/// new one, never part of either. On any failure the temporary is removed.
///
/// Directories are opened one at a time with `O_NOFOLLOW`, from the bucket directory down, and
/// created when missing: a symbolic link inside the buckets root could send the object anywhere
/// on the machine (and the watcher never follows one, so no trigger would see the object), so one
/// is refused rather than followed, with no window between the check and the use. The buckets root itself may be a link (a root on another disk is the user's choice).
struct BucketObjectWriter {
    /// Absolute path of the buckets root.
    let bucketsRoot: String
    let bucket: String

    /// The absolute path of `key`'s object.
    func path(of key: String) -> String { "\(bucketsRoot)/\(bucket)/\(key)" }

    /// Copies everything read from `source` to the object `key`, which must be a valid key
    /// (`ObjectKey.problem(with:)` is nil), and returns its size in bytes.
    ///
    /// - Parameter sourceName: the input as the user named it, for messages.
    func write(key: String, from source: CInt, sourceName: String) throws(CLIError) -> Int64 {
        var directories = PathComponents.of(key)
        guard let name = directories.popLast(), !name.isEmpty else {
            throw CLIError("flint put: \"\(key)\" names no file; give a key such as photos/cat.jpg")
        }
        let directory = try openDirectory(holding: directories)
        defer { FileSystemCall.closeIgnoringErrors(directory.fd) }

        let temporary = try createTemporary(for: name, in: directory)
        InterruptCleanup.protect(temporary.name, in: directory.fd)
        defer { InterruptCleanup.release() }
        let size: Int64
        do throws(CLIError) {
            size = try copy(source, sourceName: sourceName, to: temporary.fd, path: directory.path + "/" + temporary.name)
        } catch {
            FileSystemCall.closeIgnoringErrors(temporary.fd)
            _ = try? FileSystemCall.unlink(temporary.name, in: directory.fd)
            throw error
        }
        do throws(CLIError) {
            try commit(temporary, as: name, in: directory)  // closes the temporary, whatever happens
        } catch {
            _ = try? FileSystemCall.unlink(temporary.name, in: directory.fd)
            throw error
        }
        do throws(SystemCallError) {
            try FileSystemCall.synchronize(directory.fd)
        } catch {
            // The rename happened: the object is in place and the watcher has seen it.
            throw CLIError("flint put: \(path(of: key)) is in place, but syncing \(directory.path) failed (\(error.reason)); "
                + "it may not survive a crash of the machine: put it again once the disk is healthy")
        }
        return size
    }

    // MARK: - Directories

    /// An open directory, and its path for messages.
    private struct Directory {
        let fd: CInt
        let path: String
    }

    /// Opens the directory that holds the key's file: the bucket, then each of `directories`.
    private func openDirectory(holding directories: [String]) throws(CLIError) -> Directory {
        var current = try openRoot()
        for name in [bucket] + directories {
            let next: Directory
            do throws(CLIError) {
                next = try openOrCreate(name, in: current)
            } catch {
                FileSystemCall.closeIgnoringErrors(current.fd)
                throw error
            }
            FileSystemCall.closeIgnoringErrors(current.fd)
            current = next
        }
        return current
    }

    /// The buckets root, created (with its parents) when missing.
    private func openRoot() throws(CLIError) -> Directory {
        do throws(SystemCallError) {
            return Directory(fd: try FileSystemCall.openDirectory(bucketsRoot), path: bucketsRoot)
        } catch where error.code == ENOENT {
            var info = stat()
            if lstat(bucketsRoot, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                throw CLIError("flint put: the buckets root \(bucketsRoot) is a symbolic link to nothing (its target is missing: "
                    + "a disk not mounted?); create the directory it points to, or set buckets: in flint.yaml; nothing was put in bucket \(bucket)")
            }
            do throws(SystemCallError) {
                try FileSystemCall.makeDirectories(bucketsRoot, mode: Self.directoryMode)
                return Directory(fd: try FileSystemCall.openDirectory(bucketsRoot), path: bucketsRoot)
            } catch {
                throw failure("cannot create the buckets root \(bucketsRoot)", error)
            }
        } catch where error.code == ENOTDIR {
            throw CLIError("flint put: the buckets root \(bucketsRoot) is not a directory; "
                + "move that file away, or set buckets: in flint.yaml to a directory")
        } catch {
            throw failure("cannot open the buckets root \(bucketsRoot)", error)
        }
    }

    /// The directory `name` in `parent`, made when missing (and made durable: its parent is
    /// fsynced, so a crash cannot lose the directory of an object already put).
    private func openOrCreate(_ name: String, in parent: Directory) throws(CLIError) -> Directory {
        let path = parent.path + "/" + name
        do throws(SystemCallError) {
            return Directory(fd: try FileSystemCall.openDirectory(name, in: parent.fd), path: path)
        } catch where error.code == ENOENT {
            do throws(SystemCallError) {
                var made = true
                do throws(SystemCallError) {
                    try FileSystemCall.makeDirectory(name, in: parent.fd, mode: Self.directoryMode)
                    try FileSystemCall.synchronize(parent.fd)
                } catch where error.code == EEXIST {
                    // Another writer made it meanwhile: open what is there, as below.
                    made = false
                }
                let directory = Directory(fd: try FileSystemCall.openDirectory(name, in: parent.fd), path: path)
                if made {
                    do throws(SystemCallError) {
                        try FileSystemCall.setMode(directory.fd, Self.directoryMode)
                    } catch {
                        FileSystemCall.closeIgnoringErrors(directory.fd)
                        throw error
                    }
                }
                return directory
            } catch {
                throw failure("cannot create the directory \(path)", error)
            }
        } catch where error.code == ELOOP || error.code == ENOTDIR {
            throw notADirectory(name, in: parent, path: path)
        } catch {
            throw failure("cannot open the directory \(path)", error)
        }
    }

    /// Why `name` could not be opened as a directory: a symbolic link, or something else.
    private func notADirectory(_ name: String, in parent: Directory, path: String) -> CLIError {
        let isLink = (try? FileSystemCall.status(of: name, in: parent.fd)).map { $0.st_mode & S_IFMT == S_IFLNK } ?? false
        if isLink {
            // The bucket itself cannot be avoided by another key; the root may be a link instead.
            let fix = parent.path == bucketsRoot
                ? "replace the link with a directory (to keep buckets on another disk, point buckets: in flint.yaml there)"
                : "replace the link with a directory, or choose another key"
            return CLIError("flint put: \(path) is a symbolic link; flint put never writes through a link inside the buckets root "
                + "(the object could land outside its bucket): \(fix)")
        }
        guard parent.path != bucketsRoot else {
            return CLIError("flint put: bucket \(name) at \(path) is a file, not a directory (a bucket is a directory under the buckets root); "
                + "move that file away")
        }
        return CLIError("flint put: \(path) is a file, not a directory, so nothing can be put under it; "
            + "choose another key, or move that file away")
    }

    /// The modes of what a put makes, whatever the umask: handlers may run as another user
    /// (`user:`, `nobody` when Flint runs as root), who must read the object and reach it.
    static let objectMode: mode_t = 0o644
    static let directoryMode: mode_t = 0o755

    // MARK: - The temporary and the rename

    /// An open temporary file beside the destination.
    private struct Temporary {
        let fd: CInt
        let name: String
    }

    /// Tries a few random names: a clash means a leftover of an interrupted put, never a live one.
    private static let temporaryAttempts = 8

    private func createTemporary(for name: String, in directory: Directory) throws(CLIError) -> Temporary {
        for _ in 0 ..< Self.temporaryAttempts {
            let candidate = Self.temporaryName(for: name)
            do throws(SystemCallError) {
                return Temporary(fd: try FileSystemCall.createExclusively(candidate, in: directory.fd, mode: Self.objectMode), name: candidate)
            } catch where error.code == EEXIST {
                continue
            } catch {
                throw failure("cannot create a file in \(directory.path)", error)
            }
        }
        throw CLIError("flint put: cannot create a temporary file in \(directory.path): every name tried was taken; "
            + "remove the leftover .*.flint-put-* files there and put again")
    }

    /// `.NAME.flint-put-RANDOM`: a dot-file, so the watcher ignores it; named after the object so
    /// a leftover (from a put killed midway) says where it came from. `NAME` is cut, at a
    /// character boundary, so that the whole stays within the 255 bytes a file name may have.
    static func temporaryName(for name: String) -> String {
        let suffix = ".flint-put-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let room = 255 - 1 - suffix.utf8.count
        var kept = ""
        var used = 0
        for scalar in name.unicodeScalars {
            used += String(scalar).utf8.count
            if used > room { break }
            kept.unicodeScalars.append(scalar)
        }
        return "." + kept + suffix
    }

    /// Copies `source` into the temporary until the end of the input; returns the bytes copied.
    private func copy(_ source: CInt, sourceName: String, to destination: CInt, path: String) throws(CLIError) -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count: Int
            do throws(SystemCallError) {
                count = try FileSystemCall.read(source, into: buffer)
            } catch {
                throw CLIError("flint put: reading \(sourceName) failed: \(error.reason); nothing was put in bucket \(bucket)")
            }
            if count == 0 { return total }
            do throws(SystemCallError) {
                try FileSystemCall.writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            } catch {
                throw failure("writing \(path) failed", error)
            }
            total += Int64(count)
        }
    }

    /// Makes the temporary durable and closes it, then renames it over the destination (which
    /// replaces a symbolic link there rather than following it).
    private func commit(_ temporary: Temporary, as name: String, in directory: Directory) throws(CLIError) {
        let temporaryPath = directory.path + "/" + temporary.name
        do throws(SystemCallError) {
            try FileSystemCall.synchronize(temporary.fd)
        } catch {
            FileSystemCall.closeIgnoringErrors(temporary.fd)
            throw failure("syncing \(temporaryPath) failed", error)
        }
        do throws(SystemCallError) {
            try FileSystemCall.close(temporary.fd)
        } catch {
            throw failure("writing \(temporaryPath) failed", error)
        }
        let destination = directory.path + "/" + name
        do throws(SystemCallError) {
            try FileSystemCall.rename(temporary.name, to: name, in: directory.fd)
        } catch where error.code == EISDIR || error.code == ENOTEMPTY || error.code == EEXIST {
            throw CLIError("flint put: \(destination) is a directory, so no object can take its name; "
                + "choose another key, or move that directory away")
        } catch {
            throw failure("cannot rename \(temporaryPath) to \(destination)", error)
        }
    }

    // MARK: - Messages

    /// A failed step, with the system's reason and what to do when that is clear.
    private func failure(_ step: String, _ error: SystemCallError) -> CLIError {
        let advice = switch error.code {
        case EACCES, EPERM: "; check the permissions there, or run flint put as a user who may write it"
        case ENOSPC, EDQUOT: "; free some space and put again"
        case EROFS: "; the file system is read-only: set buckets: in flint.yaml to a writable directory"
        default: ""
        }
        return CLIError("flint put: \(step): \(error.reason)\(advice); nothing was put in bucket \(bucket)")
    }
}
