internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A directory opened without following a symlink to it; closed by its owner.
struct OpenDirectory {
    let descriptor: Int32

    /// Opens `path` itself (its last component must not be a symlink).
    init(path: String, purpose: String) throws(OutputMover.MoveError) {
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw OutputMover.MoveError(description: "cannot open \(purpose) \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Why `openOrMake` failed: the errno of making the directory, or of opening what is there
    /// (`ENOTDIR`, `ELOOP`: not a directory, or a symlink).
    struct Failure: Error {
        let code: Int32
        let making: Bool
    }

    /// The directory `name` of `parent`, made where missing (mode 0755, whatever the daemon's
    /// umask), never reached through a symlink; and whether it was made now.
    static func openOrMake(_ name: String, in parent: Int32) throws(Failure) -> (directory: OpenDirectory, made: Bool) {
        let made = mkdirat(parent, name, 0o755) == 0
        if !made && errno != EEXIST { throw Failure(code: errno, making: true) }
        let descriptor = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(code: errno, making: false) }
        if made { _ = fchmod(descriptor, 0o755) }
        return (OpenDirectory(descriptor: descriptor), made)
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
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
    /// Whether the bucket itself was missing, and made now.
    let bucketWasMade: Bool

    init(bucketPath: String) throws(OutputMover.MoveError) {
        self.bucketPath = bucketPath
        // The buckets root is followed (buckets: may be a link to another disk); the bucket in
        // it never is. Made at every start and reload: missing now, the bucket was deleted under
        // the daemon (to clear it, say), and is made again, as the bucket's own directories are.
        let root = open(PathComponents.parent(of: bucketPath), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            let fix = errno == ENOENT
                ? "; the buckets root was deleted while Flint runs: flint reload makes it again, then flint deadletters replay reruns what failed" : ""
            throw OutputMover.MoveError(description: "cannot open output bucket \(bucketPath): \(String(cString: strerror(errno)))\(fix)")
        }
        defer { close(root) }
        do {
            let bucket = try OpenDirectory.openOrMake(PathComponents.last(of: bucketPath), in: root)
            opened = [ByteExactKey(""): bucket.directory]
            bucketWasMade = bucket.made
        } catch {
            throw OutputMover.MoveError(description: "cannot open output bucket \(bucketPath): \(String(cString: strerror(error.code)))")
        }
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
            do {
                let child = try OpenDirectory.openOrMake(component, in: parent.descriptor).directory
                opened[ByteExactKey(relative)] = child
                directory = child
            } catch where error.making {
                throw OutputMover.MoveError(
                    description: "cannot create \(bucketPath)/\(relative) for output \(key): \(String(cString: strerror(error.code)))")
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
