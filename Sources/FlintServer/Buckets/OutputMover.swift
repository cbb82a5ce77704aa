internal import FlintCore
internal import FlintTriggers
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Moves the files a handler left in its output directory into a bucket, each with one
/// rename, so a trigger on that bucket sees every file whole or not at all.
///
/// Only regular files move (a symlink a handler made could point anywhere); names the watcher
/// ignores (dot-files, temporaries) are left behind, as no trigger would see them.
///
/// Every step goes through directory descriptors opened without following symlinks (`openat`,
/// `renameat`), never through a path: a process the handler left behind could swap a directory
/// of its output for a symlink between the listing and the move, and a path would then lead the
/// daemon (often root) to move or copy a file from anywhere. The bucket's own directories are
/// never followed through a symlink either.
struct OutputMover {
    struct MoveError: Error, Equatable, CustomStringConvertible {
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
    /// are committed, so the files must survive a power loss as well as they do. What no key can
    /// name (a name that is not UTF-8) stays, and its path under `scratch` is told to `unnamable`.
    /// `madeBucket` is called when the bucket itself was missing (deleted under the daemon) and
    /// was made again.
    func moveAll(
        from scratch: String, unnamable: (String) -> Void = { _ in }, madeBucket: () -> Void = {}
    ) throws(MoveError) -> [String] {
        var destinations = try OutputDestinations(bucketPath: bucketPath)
        defer { destinations.syncAndClose() }
        if destinations.bucketWasMade { madeBucket() }
        let root = try OpenDirectory(path: scratch, purpose: "the output directory")
        var moved: [String] = []
        var pending: [(relative: String, directory: OpenDirectory)] = [("", root)]
        defer { pending.forEach { $0.directory.close() } }  // what a failure left unlisted
        while let (relative, directory) = pending.popLast() {
            defer { directory.close() }
            for name in try directory.names(unnamable: { unnamable(relative.isEmpty ? $0 : "\(relative)/\($0)") }) {
                let key = relative.isEmpty ? name : "\(relative)/\(name)"
                guard let status = FileStatus.of(name, in: directory.descriptor) else { continue }
                switch status.kind {
                case .directory:
                    // Opened here, without following: what is listed next is what was seen now.
                    if let child = try? OpenDirectory(in: directory, named: name, purpose: "output directory \(key)") {
                        pending.append((key, child))
                    }
                case .regular where ObjectKey.problem(with: key) == nil && !ObjectKey.isIgnored(key):
                    try move(name, in: directory, to: key, destinations: &destinations)
                    moved.append(key)
                default:
                    continue
                }
            }
        }
        return moved
    }

    private func move(_ name: String, in source: OpenDirectory, to key: String, destinations: inout OutputDestinations) throws(MoveError) {
        let target = try destinations.directory(for: key)
        let targetName = PathComponents.last(of: key)
        // Its content on disk before its new name is; and the inode its event will be known by.
        let file = openat(source.descriptor, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            throw MoveError(description: "cannot open output \(key): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(file) }
        guard let status = FileStatus.of(descriptor: file), status.kind == .regular else {
            throw MoveError(description: "cannot move output \(key): it is no longer a regular file")
        }
        // A handler's file is copied into one of the daemon's: a descriptor open for writing
        // (the handler's, or one it passed on) would go on changing the handler's inode after a
        // chown. So is a file with another name too (a hard link to another object, say).
        if status.owner != geteuid() || status.links != 1 {
            let owned = status.owner != geteuid()
            try copyThenRename(
                file, mode: owned ? Self.objectMode(status.permissions) : mode_t(status.permissions & 0o777),
                group: owned ? status.group : nil, into: target, as: targetName, key: key)
            return
        }
        _ = fsync(file)
        causation?.expect(inode: status.inode, depth: depth)
        if renameat(source.descriptor, name, target, targetName) == 0 { return }
        guard errno == EXDEV else {
            throw MoveError(description: "cannot move output \(key) into \(bucketPath): \(String(cString: strerror(errno)))")
        }
        try copyThenRename(file, mode: mode_t(status.permissions & 0o777), group: nil, into: target, as: targetName, key: key)
    }

    /// The mode of a handler's output as an object: the owner (the daemon) and the handler's
    /// group read it (downstream handlers), others as the handler let them; no one but the
    /// owner writes; execute bits kept, set-id and sticky bits dropped.
    static func objectMode(_ permissions: UInt32) -> mode_t {
        mode_t((permissions & 0o755) | 0o440)
    }

    /// Copies next to the destination, then renames, which is atomic again: for a handler's file,
    /// one with other names, or one on another filesystem than the bucket. `group`: the copy's
    /// group, else the daemon's.
    ///
    /// The copy is an unnamed file (`O_TMPFILE`) until it is whole and on disk: were the daemon
    /// killed while it copies, nothing would be left in the bucket. Only then is it given a name
    /// the watcher ignores, and renamed at once to its key (a kill between the two leaves that
    /// name). Where the filesystem has no unnamed files, it is written under that name from the
    /// start (and left there by a kill).
    ///
    /// Closed before the rename: the watcher waits for the close of a file renamed in while open
    /// for writing, and an unnamed file's close is reported under `#<inode>`, not the key.
    private func copyThenRename(_ source: Int32, mode: mode_t, group: UInt32?, into target: Int32, as name: String, key: String) throws(MoveError) {
        let temporary = ".\(name).flint-output-\(UInt32.random(in: 0 ... .max))"
        var unnamed = Self.canNameUnnamedFiles
        var copy = unnamed ? openat(target, ".", Self.unnamedFile | O_WRONLY | O_CLOEXEC, mode) : -1
        if copy < 0 {
            unnamed = false
            copy = openat(target, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        guard copy >= 0 else {
            throw MoveError(description: "cannot copy output \(key) into \(bucketPath): \(String(cString: strerror(errno)))")
        }
        var named = !unnamed
        var renamed = false
        defer {
            if copy >= 0 { Glibc.close(copy) }
            if named && !renamed { _ = unlinkat(target, temporary, 0) }
        }
        if let group, fchown(copy, geteuid(), group) != 0 {
            throw MoveError(description: "cannot give output \(key) its handler's group \(group): \(String(cString: strerror(errno)))")
        }
        guard fchmod(copy, mode) == 0 else {  // not narrowed by the umask
            throw MoveError(description: "cannot set the mode of output \(key): \(String(cString: strerror(errno)))")
        }
        if let failure = Self.copyContent(from: source, to: copy) {
            throw MoveError(description: "cannot copy output \(key) into \(bucketPath): \(failure)")
        }
        if let copied = FileStatus.of(descriptor: copy) { causation?.expect(inode: copied.inode, depth: depth) }
        _ = fsync(copy)
        if unnamed {
            // linkat's AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; its /proc/self/fd form does not.
            guard linkat(AT_FDCWD, "/proc/self/fd/\(copy)", target, temporary, AT_SYMLINK_FOLLOW) == 0 else {
                throw MoveError(description: "cannot name the copy of output \(key) in \(bucketPath): \(String(cString: strerror(errno)))")
            }
            named = true
        }
        Glibc.close(copy)
        copy = -1
        guard renameat(target, temporary, target, name) == 0 else {
            throw MoveError(description: "cannot move output \(key) into \(bucketPath): \(String(cString: strerror(errno)))")
        }
        renamed = true
    }

    /// `O_TMPFILE`, which Swift does not import (a macro of two flags).
    private static let unnamedFile = __O_TMPFILE | O_DIRECTORY
    /// Whether an unnamed file can be given a name: through `/proc/self/fd`, so /proc is needed.
    private static let canNameUnnamedFiles = access("/proc/self/fd", X_OK) == 0

    /// Copies from the start of `source` to `destination`; the failure's description, or nil.
    private static func copyContent(from source: Int32, to destination: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                return "reading it: \(String(cString: strerror(errno)))"
            }
            if count == 0 { return nil }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { write(destination, $0.baseAddress.map { $0 + written }, count - written) }
                if result < 0 {
                    if errno == EINTR { continue }
                    return "writing the copy: \(String(cString: strerror(errno)))"
                }
                written += result
            }
            offset += off_t(count)
        }
    }
}
