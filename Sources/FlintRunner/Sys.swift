import Glibc

// Every system call the runner makes goes through one of these, in the spirit of swift-nio's
// `NIOPosix/System.swift`: errno is read right after the call, EINTR is retried, and any other
// failure becomes a typed `SystemError` naming the call. (A String argument's temporary C string may
// be freed between the call and the errno read; glibc's free() preserves errno since 2.33.)

/// Runs `body` until it returns something other than -1 with EINTR.
@inline(__always)
func systemCall<T: FixedWidthInteger>(
    _ name: StaticString, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 {
            return result
        }
        let error = errno
        if error != EINTR {
            throw SystemError("\(name)", errno: error)
        }
    }
}

/// Like `systemCall`, but reports EAGAIN as `nil` (nothing to do right now on a non-blocking fd).
@inline(__always)
func nonBlockingSystemCall<T: FixedWidthInteger>(
    _ name: StaticString, _ body: () -> T
) throws(SystemError) -> T? {
    while true {
        let result = body()
        if result != -1 {
            return result
        }
        let error = errno
        switch error {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return nil
        default: throw SystemError("\(name)", errno: error)
        }
    }
}

/// The system calls the runner uses, each wrapped once.
enum Sys {
    static func close(_ fd: CInt) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
        _ = Glibc.close(fd)
    }

    static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try nonBlockingSystemCall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    static func write(_ fd: CInt, from buffer: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        try nonBlockingSystemCall("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// poll(2). EINTR is reported as "nothing ready" rather than retried, so that the caller
    /// recomputes its timeout against its deadline.
    static func poll(_ fds: UnsafeMutablePointer<pollfd>, count: Int, timeoutMillis: CInt) throws(SystemError) -> Int {
        let result = Glibc.poll(fds, nfds_t(count), timeoutMillis)
        if result >= 0 {
            return Int(result)
        }
        let error = errno
        if error == EINTR {
            return 0
        }
        throw SystemError("poll", errno: error)
    }

    /// kill(2); a process (group) that no longer exists is not an error.
    static func kill(_ pid: pid_t, _ signal: CInt) {
        _ = Glibc.kill(pid, signal)
    }

    static func pread(
        _ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, offset: off_t
    ) throws(SystemError) -> Int {
        try systemCall("pread") { Glibc.pread(fd, buffer.baseAddress, buffer.count, offset) }
    }

    static func wait4(_ pid: pid_t, status: inout CInt, usage: inout rusage) throws(SystemError) {
        _ = try systemCall("wait4") { Glibc.wait4(pid, &status, 0, &usage) }
    }

    static func mkdir(_ path: String, mode: mode_t) throws(SystemError) {
        _ = try systemCall("mkdir") { Glibc.mkdir(path, mode) }
    }

    static func rmdir(_ path: String) throws(SystemError) {
        _ = try systemCall("rmdir") { Glibc.rmdir(path) }
    }


    static func open(_ path: String, flags: CInt) throws(SystemError) -> CInt {
        try systemCall("open") { Glibc.open(path, flags) }
    }

    static func openat(_ directory: CInt, _ name: UnsafePointer<CChar>, flags: CInt) throws(SystemError) -> CInt {
        try systemCall("openat") { Glibc.openat(directory, name, flags) }
    }

    static func unlinkat(_ directory: CInt, _ name: UnsafePointer<CChar>, flags: CInt) throws(SystemError) {
        _ = try systemCall("unlinkat") { Glibc.unlinkat(directory, name, flags) }
    }

    /// chmod of `name` in `directory` (AT_FDCWD for a path), never through a symbolic link.
    static func fchmodat(_ directory: CInt, _ name: UnsafePointer<CChar>, mode: mode_t) throws(SystemError) {
        _ = try systemCall("fchmodat") { Glibc.fchmodat(directory, name, mode, AT_SYMLINK_NOFOLLOW) }
    }

    static func fstat(_ fd: CInt) throws(SystemError) -> stat {
        var info = stat()
        _ = try systemCall("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    static func fstatat(_ directory: CInt, _ name: UnsafePointer<CChar>) throws(SystemError) -> stat {
        var info = stat()
        _ = try systemCall("fstatat") { Glibc.fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) }
        return info
    }

    /// Whether `path` is a regular file this process may execute (what execve would accept).
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && Glibc.access(path, X_OK) == 0
    }

    /// Sleeps the calling thread; only ever used on a supervisor thread.
    static func sleep(nanoseconds: Int) {
        var request = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        var remaining = timespec()
        while Glibc.nanosleep(&request, &remaining) != 0, errno == EINTR {
            request = remaining
        }
    }

    /// This process's peak RSS so far (getrusage RUSAGE_SELF `ru_maxrss`), in KiB.
    static func maxRSSKiBOfSelf() -> Int64 {
        var usage = rusage()
        _ = getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int64(usage.ru_maxrss)
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
