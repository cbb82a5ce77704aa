internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Walks a bucket's directory tree: what a scan compares with the index.
///
/// Never follows a symlink (neither to a directory nor to a file: a symlink is not an object),
/// and skips what the watcher ignores (dot-files, dot-directories, temporaries).
struct BucketTree {
    /// The regular files found, by key (byte for byte, as the directory names them).
    var files: [ByteExactKey: ObjectFile.Metadata] = [:]
    /// Entries whose names are not UTF-8: no key can name them.
    var unnamable: [String] = []
    /// Directories (keys' prefixes, `""` for the start of a bucket) that exist but could not be
    /// listed (no permission, no descriptor left), with why: what is below them is unknown, not gone.
    var unlisted: [(path: String, error: Int32)] = []
    /// Directories (as `unlisted`) that `entering` could not watch: no writer's close will be
    /// reported from them.
    var unwatched: Set<String> = []

    /// Whether `key` lies in a directory that could not be listed.
    func isUnlisted(_ key: String) -> Bool {
        unlisted.contains { $0.path.isEmpty || key.utf8.starts(with: ($0.path + "/").utf8) }
    }

    /// Walks `start` (a directory of `bucket` at `root`) and everything below it. `entering` is
    /// called for each directory before it is listed, so a watch added there sees every file
    /// created after the listing began, and the listing sees every file created before; it
    /// says whether the directory is watched.
    static func walk(
        root: String, from start: WatchedDirectory, entering: (WatchedDirectory) -> Bool
    ) -> BucketTree {
        var tree = BucketTree()
        var pending = [start]
        while let directory = pending.popLast() {
            if !entering(directory) { tree.unwatched.insert(directory.path) }
            let path = directory.path.isEmpty ? "\(root)/\(directory.bucket)" : "\(root)/\(directory.bucket)/\(directory.path)"
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0, let stream = fdopendir(fd) else {
                let error = errno
                if fd >= 0 { close(fd) }
                switch error {
                case ENOENT, ENOTDIR, ELOOP:
                    continue  // gone meanwhile, or replaced by a symlink: nothing of it is an object
                default:
                    tree.unlisted.append((directory.path, error))
                    continue
                }
            }
            defer { closedir(stream) }
            let failed = DirectoryEntries.forEach(in: stream) { entry in
                guard let name = entry.name else {
                    tree.unnamable.append("\(path)/\(String(decoding: entry.bytes, as: UTF8.self))")
                    return
                }
                let key = directory.key(of: name)
                if ObjectKey.holdsNoObjects(directory: key) { return }
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(WatchedDirectory(bucket: directory.bucket, path: key))
                case S_IFREG where !ObjectKey.isIgnored(key):
                    tree.files[ByteExactKey(key)] = ObjectFile.Metadata(info)
                default:
                    return  // symlinks, FIFOs, sockets, devices are not objects
                }
            }
            // Listed only in part (an I/O error): what it did not list is unknown, not gone.
            if failed != 0 { tree.unlisted.append((directory.path, failed)) }
        }
        return tree
    }
}
