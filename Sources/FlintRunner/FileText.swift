import Glibc

/// Small files read and written whole, with one system call each way: /proc and cgroup files,
/// which the kernel generates on read and parses per write(2).
enum FileText {
    /// The file's text, up to `capacity` bytes; nil when it cannot be opened or read.
    static func read(_ path: String, capacity: Int = 64 * 1024) -> String? {
        guard let fd = try? Sys.open(path, flags: O_RDONLY | O_CLOEXEC) else { return nil }
        defer { Sys.close(fd) }
        return read(fd: fd, capacity: capacity)
    }

    /// The text of an open file from offset 0 (pread: procfs and cgroupfs regenerate it on each
    /// read), up to `capacity` bytes.
    static func read(fd: CInt, capacity: Int = 64 * 1024) -> String? {
        guard fd >= 0, capacity > 0 else { return nil }
        // Not zeroed first: only the bytes pread wrote are decoded.
        return try? String(unsafeUninitializedCapacity: capacity) { buffer in
            try Sys.pread(fd, into: UnsafeMutableRawBufferPointer(buffer), offset: 0)
        }
    }

    /// Writes `text` in one write(2), as cgroup files require.
    static func write(_ text: String, to path: String) throws(SystemError) {
        let fd: CInt
        do throws(SystemError) {
            fd = try Sys.open(path, flags: O_WRONLY | O_CLOEXEC)
        } catch {
            throw SystemError("open \(path)", errno: error.errno)
        }
        defer { Sys.close(fd) }
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(SystemError) in
                try systemCall("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
            }
        }
        switch result {
        case .success(let written) where written == text.utf8.count: return
        case .success: throw SystemError("write \(path)", errno: EIO)
        case .failure(let error): throw SystemError("write \(path)", errno: error.errno)
        }
    }

    /// Writes `text` to an open cgroup file in one write(2) (cgroupfs parses each write whole,
    /// whatever the file offset).
    static func write(_ text: StaticString, fd: CInt) throws(SystemError) {
        _ = try systemCall("write") { Glibc.write(fd, text.utf8Start, text.utf8CodeUnitCount) }
    }

    /// The whole number an open cgroup file holds (`memory.peak`, `cpuacct.usage_user`).
    static func number(fd: CInt) -> Int64? {
        read(fd: fd, capacity: 64).flatMap { Int64($0.trimmingWhitespace) }
    }

    /// The number after `key` on the line starting with `key ` (`oom_kill 3`, `user_usec 1200`).
    static func value(of key: String, in text: String) -> Int64? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == key { return Int64(fields[1]) }
        }
        return nil
    }
}
