internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Moves the files a handler left in its output directory into a bucket, each with one
/// rename, so a trigger on that bucket sees every file whole or not at all.
///
/// Only regular files move (a symlink a handler made could point anywhere); names the watcher
/// ignores (dot-files, temporaries) are left behind, as no trigger would see them. The bucket's
/// own directories are never followed through a symlink.
struct OutputMover {
    struct MoveError: Error, CustomStringConvertible {
        var description: String
    }

    /// The bucket directory, absolute.
    let bucketPath: String
    /// Told of each file moved, when a trigger watches the bucket (else nothing would use it).
    let causation: OutputCausation?
    /// The depth of the events the moved files cause.
    let depth: Int

    /// Moves everything under `scratch`; returns the keys moved, in order. Each file's content
    /// and each directory's entry are on disk before this returns: the events the moves cause
    /// are committed, so the files must survive a power loss as well as they do.
    func moveAll(from scratch: String) throws(MoveError) -> [String] {
        var moved: [String] = []
        var directories: Set<String> = []
        defer { directories.forEach(Self.sync) }
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? scratch : "\(scratch)/\(relative)"
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                throw MoveError(description: "cannot list the output directory \(directory): \(error)")
            }
            for name in names {
                let key = relative.isEmpty ? name : "\(relative)/\(name)"
                guard let entry = Self.entry(at: "\(scratch)/\(key)") else { continue }
                switch entry.type {
                case .typeDirectory:
                    pending.append(key)
                case .typeRegular where ObjectKey.problem(with: key) == nil && !ObjectKey.isIgnored(key):
                    try move("\(scratch)/\(key)", to: key, inode: entry.inode)
                    moved.append(key)
                    directories.insert(("\(bucketPath)/\(key)" as NSString).deletingLastPathComponent)
                default:
                    continue
                }
            }
        }
        return moved
    }

    private func move(_ source: String, to key: String, inode: UInt64) throws(MoveError) {
        let destination = "\(bucketPath)/\(key)"
        try makeParents(of: key)
        Self.sync(source)
        causation?.expect(inode: inode, depth: depth)
        if rename(source, destination) == 0 { return }
        guard errno == EXDEV else {
            throw MoveError(description: "cannot move output \(key) into \(bucketPath): \(String(cString: strerror(errno)))")
        }
        try copyThenRename(source, to: destination, key: key)
    }

    /// The data directory is on another filesystem than the bucket: copy next to the
    /// destination under a name the watcher ignores, then rename, which is atomic again.
    private func copyThenRename(_ source: String, to destination: String, key: String) throws(MoveError) {
        let directory = (destination as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.\((key as NSString).lastPathComponent).flint-output-\(UInt32.random(in: 0 ... .max))"
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw MoveError(description: "cannot copy output \(key) into \(bucketPath): \(error)")
        }
        if let entry = Self.entry(at: temporary) { causation?.expect(inode: entry.inode, depth: depth) }
        Self.sync(temporary)
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = unlink(temporary)
            throw MoveError(description: "cannot move output \(key) into \(bucketPath): \(reason)")
        }
    }

    /// Flushes a file's content, or a directory's entries, to disk (best effort: a filesystem
    /// that cannot sync has nothing better to offer).
    private static func sync(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// What `path` itself is (a symlink is not followed), and its inode.
    private static func entry(at path: String) -> (type: FileAttributeType, inode: UInt64)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let type = attributes[.type] as? FileAttributeType,
              let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
        else { return nil }
        return (type, inode)
    }

    /// Creates the key's directories inside the bucket, refusing any that is not a real
    /// directory (a symlink there would lead the output out of the bucket).
    private func makeParents(of key: String) throws(MoveError) {
        var path = bucketPath
        for component in key.split(separator: "/").dropLast() {
            path += "/\(component)"
            if mkdir(path, 0o755) == 0 || errno == EEXIST {
                guard Self.entry(at: path)?.type == .typeDirectory else {
                    throw MoveError(description: "cannot move output \(key): \(path) exists in the bucket and is not a directory (symbolic links are never followed)")
                }
            } else {
                throw MoveError(description: "cannot create \(path) for output \(key): \(String(cString: strerror(errno)))")
            }
        }
    }
}
