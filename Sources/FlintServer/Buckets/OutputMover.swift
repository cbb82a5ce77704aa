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
    let causation: OutputCausation
    /// The depth of the events the moved files cause.
    let depth: Int

    /// Moves everything under `scratch`; returns the keys moved, in order.
    func moveAll(from scratch: String) throws(MoveError) -> [String] {
        var moved: [String] = []
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
        causation.expect(inode: inode, depth: depth)
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
        if let entry = Self.entry(at: temporary) { causation.expect(inode: entry.inode, depth: depth) }
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = unlink(temporary)
            throw MoveError(description: "cannot move output \(key) into \(bucketPath): \(reason)")
        }
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
