internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

/// A system call that failed: which one, and its errno.
struct SystemCallError: Error, CustomStringConvertible {
    let call: String
    let code: CInt

    /// The C library's text for the errno ("No such file or directory").
    var reason: String { String(cString: strerror(code)) }
    var description: String { "\(call): \(reason)" }
}

/// The file-system calls `flint put` and `flint init` make, each wrapped once (as swift-nio's
/// `System.swift` does): errno is read right after the call, EINTR is retried, any other failure is
/// a `SystemCallError`. `flint put` resolves names relative to an open directory (the `*at` calls),
/// so that a path checked once cannot be swapped for a symbolic link before it is used.
enum FileSystemCall {
    /// Runs `body` until it returns something other than -1 with EINTR.
    private static func retrying<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw SystemCallError(call: call, code: code) }
        }
    }

    /// Opens `path` for reading (following links: it is the user's own input).
    static func openForReading(_ path: String) throws(SystemCallError) -> CInt {
        try retrying("open") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Opens the directory at `path`, following links (for roots the user configured).
    static func openDirectory(_ path: String) throws(SystemCallError) -> CInt {
        try retrying("open") { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    /// Opens the directory `name` inside `directory`, never through a symbolic link (ELOOP or
    /// ENOTDIR when `name` is one).
    static func openDirectory(_ name: UnsafePointer<CChar>, in directory: CInt) throws(SystemCallError) -> CInt {
        try retrying("openat") { Glibc.openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    /// Creates the directory `name` inside `directory` (`mode` less the umask: `setMode` makes
    /// it exact through a descriptor, never following a link put there meanwhile).
    static func makeDirectory(_ name: String, in directory: CInt, mode: mode_t) throws(SystemCallError) {
        _ = try retrying("mkdirat") { Glibc.mkdirat(directory, name, mode) }
    }

    /// Sets the mode of what `fd` is open on to exactly `mode`.
    static func setMode(_ fd: CInt, _ mode: mode_t) throws(SystemCallError) {
        _ = try retrying("fchmod") { Glibc.fchmod(fd, mode) }
    }

    /// Creates the directory at the absolute `path` and any missing parents, as `mkdir -p`
    /// (following links: for roots the user configured), each it creates with exactly `mode`.
    static func makeDirectories(_ path: String, mode: mode_t) throws(SystemCallError) {
        var prefix = ""
        for component in PathComponents.of(path, omittingEmpty: true) {
            prefix += "/" + component
            do throws(SystemCallError) {
                _ = try retrying("mkdir") { Glibc.mkdir(prefix, mode) }
            } catch where error.code == EEXIST {
                continue
            }
            // Through a descriptor, never through a link put there meanwhile.
            let made = try retrying("open") { Glibc.open(prefix, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            defer { closeIgnoringErrors(made) }
            try setMode(made, mode)
        }
    }

    /// Creates the file `name` inside `directory` for writing, with exactly `mode` whatever the
    /// umask; fails with EEXIST when anything, a symbolic link included, already has that name.
    /// On failure nothing is left.
    static func createExclusively(_ name: String, in directory: CInt, mode: mode_t) throws(SystemCallError) -> CInt {
        let fd = try retrying("openat") {
            Glibc.openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        do throws(SystemCallError) {
            try setMode(fd, mode)
        } catch {
            closeIgnoringErrors(fd)
            _ = Glibc.unlinkat(directory, name, 0)
            throw error
        }
        return fd
    }

    /// Creates the directory at `path` with exactly `mode`, whatever the umask (which mkdir(2)
    /// applies, and chmod(2) then undoes); fails with EEXIST when anything has that name. On
    /// failure nothing is left.
    static func makeDirectory(atPath path: String, mode: mode_t) throws(SystemCallError) {
        _ = try retrying("mkdir") { Glibc.mkdir(path, mode) }
        do throws(SystemCallError) {
            _ = try retrying("chmod") { Glibc.chmod(path, mode) }
        } catch {
            _ = Glibc.rmdir(path)
            throw error
        }
    }

    /// Creates the file at `path` for writing with exactly `mode`, whatever the umask; fails with
    /// EEXIST when anything, a symbolic link included, already has that name. On failure nothing
    /// is left.
    static func createExclusively(atPath path: String, mode: mode_t) throws(SystemCallError) -> CInt {
        try createExclusively(path, in: AT_FDCWD, mode: mode)
    }

    /// What `path` names, following symbolic links.
    static func status(ofPath path: String) throws(SystemCallError) -> stat {
        var info = stat()
        _ = try retrying("stat") { Glibc.fstatat(AT_FDCWD, path, &info, 0) }
        return info
    }

    /// The names in the open directory `fd`, but `.` and `..`, as the bytes the file system
    /// holds (NUL-terminated, for the `*at` calls). `fd` stays open, for the caller's `*at` calls.
    static func entryNames(of fd: CInt) throws(SystemCallError) -> [[CChar]] {
        switch DirectoryEntries.of(directory: fd) {
        case .success(let entries): return entries.map(\.cName)
        case .failure(let error): throw SystemCallError(call: error.call, code: error.code)
        }
    }

    /// Sets the mode of `name` inside `directory` (following a symbolic link: callers check first).
    static func changeMode(of name: UnsafePointer<CChar>, in directory: CInt, to mode: mode_t) throws(SystemCallError) {
        _ = try retrying("fchmodat") { Glibc.fchmodat(directory, name, mode, 0) }
    }

    /// What `name` inside `directory` is, without following a symbolic link.
    static func status(of name: UnsafePointer<CChar>, in directory: CInt) throws(SystemCallError) -> stat {
        var info = stat()
        _ = try retrying("fstatat") { Glibc.fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) }
        return info
    }

    static func status(of fd: CInt) throws(SystemCallError) -> stat {
        var info = stat()
        _ = try retrying("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the input.
    static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `buffer`, however many write(2) calls that takes.
    static func writeAll(_ fd: CInt, _ buffer: UnsafeRawBufferPointer) throws(SystemCallError) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            offset += try retrying("write") { Glibc.write(fd, base + offset, buffer.count - offset) }
        }
    }

    static func synchronize(_ fd: CInt) throws(SystemCallError) {
        _ = try retrying("fsync") { Glibc.fsync(fd) }
    }

    /// Renames `from` over `to`, both inside `directory`: atomic, and a symbolic link at `to` is
    /// replaced, never followed.
    static func rename(_ from: String, to: String, in directory: CInt) throws(SystemCallError) {
        _ = try retrying("renameat") { Glibc.renameat(directory, from, directory, to) }
    }

    static func unlink(_ name: String, in directory: CInt) throws(SystemCallError) {
        _ = try retrying("unlinkat") { Glibc.unlinkat(directory, name, 0) }
    }

    /// close(2), reporting a failure: for a file just written, a late write error (NFS, a full
    /// disk) can surface only here. Never retried: on Linux the descriptor is released either way.
    static func close(_ fd: CInt) throws(SystemCallError) {
        if Glibc.close(fd) == -1, errno != EINTR { throw SystemCallError(call: "close", code: errno) }
    }

    /// close(2) where a failure changes nothing (a directory, an input, a file being abandoned).
    static func closeIgnoringErrors(_ fd: CInt) {
        _ = Glibc.close(fd)
    }
}
