internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A directory opened without following a symlink to it; closed by its owner.
struct OpenDirectory {
    let descriptor: Int32

    /// Opens `path` itself (its last component must not be a symlink). `makingIfMissing`: when
    /// nothing is at `path`, a directory is made there (mode 0755) and opened. `whenMissing`:
    /// what to do, said when there is still nothing at `path`.
    init(path: String, purpose: String, makingIfMissing: Bool = false, whenMissing: String? = nil) throws(OutputMover.MoveError) {
        var descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        var error = errno
        if descriptor < 0, error == ENOENT, makingIfMissing {
            if mkdir(path, 0o755) == 0 {
                descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                error = errno
                if descriptor >= 0 { _ = fchmod(descriptor, 0o755) }  // not narrowed by the daemon's umask
            } else if errno == EEXIST {
                descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                error = errno
            } else {
                error = errno  // why it could not be made (EACCES, EROFS; ENOENT: its parent is gone)
            }
        }
        self.descriptor = descriptor
        guard descriptor >= 0 else {
            let fix = error == ENOENT ? whenMissing.map { "; \($0)" } ?? "" : ""
            throw OutputMover.MoveError(description: "cannot open \(purpose) \(path): \(String(cString: strerror(error)))\(fix)")
        }
    }

    /// Opens the entry `name` of `parent`, which must be a directory and not a symlink.
    init(in parent: OpenDirectory, named name: String, purpose: String) throws(OutputMover.MoveError) {
        descriptor = openat(parent.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw OutputMover.MoveError(description: "cannot open \(purpose): \(String(cString: strerror(errno)))")
        }
    }

    func close() { _ = Glibc.close(descriptor) }

    /// The entries' names, sorted; `.`, `..` and names that are not UTF-8 (no key can name them)
    /// left out, the latter told to `unnamable` (invalid bytes shown as U+FFFD).
    func names(unnamable: (String) -> Void = { _ in }) throws(OutputMover.MoveError) -> [String] {
        switch DirectoryEntries.of(directory: descriptor) {
        case .success(let entries):
            for entry in entries where entry.name == nil {
                unnamable(String(decoding: entry.bytes, as: UTF8.self))
            }
            return entries.compactMap(\.name).sorted()
        case .failure(let error):
            throw OutputMover.MoveError(description: "cannot list an output directory: \(String(cString: strerror(error.code)))")
        }
    }
}

/// The bucket's directories outputs are moved into, each opened once, made where missing, and
/// never reached through a symlink; synced and closed once every file has moved.
struct OutputDestinations {
    private let bucketPath: String
    /// By path relative to the bucket, byte for byte: `café` precomposed and decomposed are two.
    private var opened: [ByteExactKey: OpenDirectory]

    init(bucketPath: String) throws(OutputMover.MoveError) {
        self.bucketPath = bucketPath
        // Made at every start and reload: missing now, it was deleted under the daemon (to clear
        // it, say), and is made again. A trigger watching it sees it again once flint reload
        // watches it, whose scan then fires what was moved into it meanwhile.
        opened = [ByteExactKey(""): try OpenDirectory(
            path: bucketPath, purpose: "output bucket", makingIfMissing: true,
            whenMissing: "the buckets root was deleted while Flint runs: flint reload makes it again, then flint deadletters replay reruns what failed")]
    }

    /// The directory that will hold `key`, made (one level at a time) where missing.
    mutating func directory(for key: String) throws(OutputMover.MoveError) -> Int32 {
        var relative = ""
        var directory = opened[ByteExactKey("")]
        for component in PathComponents.of(key, omittingEmpty: true).dropLast() {
            guard let parent = directory else { break }
            relative = relative.isEmpty ? component : "\(relative)/\(component)"
            if let known = opened[ByteExactKey(relative)] {
                directory = known
                continue
            }
            let made = mkdirat(parent.descriptor, component, 0o755) == 0
            if !made && errno != EEXIST {
                throw OutputMover.MoveError(
                    description: "cannot create \(bucketPath)/\(relative) for output \(key): \(String(cString: strerror(errno)))")
            }
            do {
                let child = try OpenDirectory(in: parent, named: component, purpose: "")
                if made { _ = fchmod(child.descriptor, 0o755) }  // not narrowed by the daemon's umask
                opened[ByteExactKey(relative)] = child
                directory = child
            } catch {
                throw OutputMover.MoveError(
                    description: "cannot move output \(key): \(bucketPath)/\(relative) exists in the bucket and is not a directory (symbolic links are never followed)")
            }
        }
        guard let directory else {
            throw OutputMover.MoveError(description: "cannot move output \(key): the output bucket \(bucketPath) is not open")
        }
        return directory.descriptor
    }

    /// Flushes each directory's entries to disk (best effort: a filesystem that cannot sync has
    /// nothing better to offer), then closes them.
    mutating func syncAndClose() {
        for directory in opened.values {
            _ = fsync(directory.descriptor)
            directory.close()
        }
        opened.removeAll()
    }
}
