import Glibc
internal import FlintCore

/// Removes a directory tree the handler may have made awkward: read-only or unreadable directories,
/// symbolic links (never followed), names that are not UTF-8, any depth.
///
/// It holds one descriptor at a time, whatever the depth: it descends with `openat(name)` and climbs
/// back with `openat("..")`, checking that the directory reached is the one it came from (device and
/// inode), so a directory moved meanwhile cannot make it delete elsewhere.
enum TreeRemover {
    private struct Entry {
        /// The name, NUL-terminated, as bytes (names need not be UTF-8).
        var name: [CChar]
        var isDirectory: Bool
    }

    private struct Level {
        var name: [CChar]
        var device: UInt
        var inode: UInt
        var pending: [Entry]
    }

    static let openFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Removes `path` and everything in it; with `keepingTheDirectory`, only what is in it.
    static func remove(_ path: String, keepingTheDirectory: Bool = false) throws(SystemError) {
        // The handler may have made its own directory read-only; we own it, so we may undo that.
        try? Sys.fchmodat(AT_FDCWD, path, mode: 0o700)
        var fd = try Sys.open(path, flags: openFlags)
        defer { Sys.close(fd) }
        var stack = [try level(fd, name: [])]
        while let last = stack.indices.last {
            if let entry = stack[last].pending.popLast() {
                if entry.isDirectory {
                    try? Sys.fchmodat(fd, entry.name, mode: 0o700)
                    let child: CInt
                    do throws(SystemError) {
                        child = try Sys.openat(fd, entry.name, flags: openFlags)
                    } catch where error.errno == ENOENT {
                        continue
                    }
                    Sys.close(fd)
                    fd = child
                    stack.append(try level(fd, name: entry.name))
                } else {
                    try unlink(fd, entry.name, flags: 0)
                }
            } else {
                let finished = stack.removeLast()
                guard let parent = stack.last else { break }
                let up = try Sys.openat(fd, "..", flags: openFlags)
                Sys.close(fd)
                fd = up
                let info = try Sys.fstat(fd)
                guard UInt(info.st_dev) == parent.device, UInt(info.st_ino) == parent.inode else {
                    throw SystemError("openat(..) reached another directory", errno: ESTALE)
                }
                try unlink(fd, finished.name, flags: AT_REMOVEDIR)
            }
        }
        if !keepingTheDirectory { try Sys.rmdir(path) }
    }

    private static func unlink(_ directory: CInt, _ name: [CChar], flags: CInt) throws(SystemError) {
        do throws(SystemError) {
            try Sys.unlinkat(directory, name, flags: flags)
        } catch where error.errno == ENOENT {
            return
        }
    }

    /// The directory open at `fd`: its identity and its entries.
    private static func level(_ fd: CInt, name: [CChar]) throws(SystemError) -> Level {
        let info = try Sys.fstat(fd)
        return Level(
            name: name, device: UInt(info.st_dev), inode: UInt(info.st_ino), pending: try entries(fd)
        )
    }

    private static func entries(_ fd: CInt) throws(SystemError) -> [Entry] {
        let listed: [DirectoryEntries.Entry]
        switch DirectoryEntries.of(directory: fd) {
        case .success(let entries): listed = entries
        case .failure(let failure): throw SystemError(failure.call, errno: failure.code)
        }
        var result: [Entry] = []
        for entry in listed {
            let name = entry.cName
            var isDirectory = entry.type == UInt8(DT_DIR)
            if entry.type == UInt8(DT_UNKNOWN) {
                let info = try Sys.fstatat(fd, name)
                isDirectory = info.st_mode & S_IFMT == S_IFDIR
            }
            result.append(Entry(name: name, isDirectory: isDirectory))
        }
        return result
    }
}
