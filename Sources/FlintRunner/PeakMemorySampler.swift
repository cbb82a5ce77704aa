import Glibc

/// Measures a handler's peak resident memory (RSS).
///
/// wait4's `ru_maxrss` alone is wrong here: handlers start with clone(CLONE_VM | CLONE_VFORK), and
/// at execve the kernel folds the high-water RSS of the mm being left, which is the daemon's, into
/// the child's `maxrss` (fs/exec.c, `exec_mmap`), so `ru_maxrss` is max(daemon's peak, handler's
/// peak). It is exact only when it exceeds the daemon's own peak; otherwise the figure is the
/// handler's own `VmHWM`, sampled from /proc/<pid>/status while it runs. Do not go back to plain
/// `ru_maxrss`.
///
/// A sample is taken as soon as the process has been spawned (`flint_spawn` returns only once the
/// new program image is in place, so even that sample cannot show the daemon's mm), on the
/// supervisor's wake-ups (at most one per `minimumGap`), and at least every 2 ms for the first
/// 100 ms, then every 20 ms (`nextSampleAt`). The sampled figure is a lower bound: close for anything
/// living more than a few milliseconds, and covering only the handler process itself, not its
/// children.
struct PeakMemorySampler: ~Copyable {
    /// Sampling intervals, in nanoseconds: `fastInterval` during the first `fastPeriod`, then
    /// `slowInterval`.
    static let fastInterval: Int64 = 2_000_000
    static let fastPeriod: Int64 = 100_000_000
    static let slowInterval: Int64 = 20_000_000
    /// Wake-ups closer than this to the last sample are not sampled: a sample costs ~10 µs of
    /// kernel time, and no process faults in more than a few hundred KiB in 100 µs.
    static let minimumGap: Int64 = 100_000

    /// /proc/<pid>/status is about 1.5 KiB; VmHWM is in its first 400 bytes or so.
    static let bufferSize = 4096

    private var fd: CInt
    private let buffer: UnsafeMutableRawBufferPointer
    private let startedAt: Int64
    private var lastSampleAt: Int64
    /// The highest VmHWM sampled, in KiB.
    private(set) var sampledPeakKiB: Int64 = 0

    /// Opens /proc/<pid>/status of a process just spawned, and takes a first sample. Without that
    /// file (no /proc) nothing is ever sampled.
    init(pid: pid_t, now: Int64) {
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
        startedAt = now
        lastSampleAt = now
        fd = (try? Sys.open("/proc/\(pid)/status", flags: O_RDONLY | O_CLOEXEC)) ?? -1
        read()
    }

    deinit {
        if fd >= 0 {
            Sys.close(fd)
        }
        buffer.deallocate()
    }

    /// When the next sample is due (CLOCK_MONOTONIC nanoseconds); `Int64.max` once closed.
    var nextSampleAt: Int64 {
        guard fd >= 0 else { return .max }
        let interval = lastSampleAt - startedAt < Self.fastPeriod ? Self.fastInterval : Self.slowInterval
        return lastSampleAt + interval
    }

    /// Samples, unless the last sample is less than `minimumGap` old.
    mutating func sample(now: Int64) {
        guard fd >= 0, now - lastSampleAt >= Self.minimumGap else { return }
        lastSampleAt = now
        read()
    }

    /// A sampler that never samples, for a process whose cgroup measures its peak: the cgroup's
    /// high-water mark replaces the sampled one (`ResourceUsage.apply`), so sampling would only
    /// cost a descriptor, a read every few milliseconds and the supervisor's wake-ups for them.
    init(notSamplingFrom now: Int64) {
        buffer = .allocate(byteCount: 0, alignment: 16)
        startedAt = now
        lastSampleAt = now
        fd = -1
    }

    /// Stops sampling; call once the process has been reaped.
    mutating func close() {
        if fd >= 0 {
            Sys.close(fd)
            fd = -1
        }
    }

    /// Reads the process's VmHWM and keeps it when it is the highest so far. A read that fails (the
    /// process is gone) or shows no VmHWM (it is exiting: its mm is released) is skipped.
    private mutating func read() {
        guard fd >= 0 else { return }
        // procfs regenerates the text on each read from offset 0.
        guard let count = try? Sys.pread(fd, into: buffer, offset: 0), count > 0 else { return }
        if let kib = Self.highWaterMarkKiB(in: UnsafeRawBufferPointer(rebasing: buffer[..<count])),
            kib > sampledPeakKiB
        {
            sampledPeakKiB = kib
        }
    }

    /// The peak RSS in bytes: `handlerMaxRSSKiB` (wait4's `ru_maxrss`) when it exceeds
    /// `daemonMaxRSSKiB` (getrusage(RUSAGE_SELF) read after the reap), since it then cannot have
    /// come from the daemon's mm; the sampled peak otherwise.
    static func peakRSSBytes(handlerMaxRSSKiB: Int64, daemonMaxRSSKiB: Int64, sampledPeakKiB: Int64) -> Int64 {
        (handlerMaxRSSKiB > daemonMaxRSSKiB ? handlerMaxRSSKiB : sampledPeakKiB) * 1024
    }

    /// The value of the `VmHWM:` line (`VmHWM:\t    1716 kB`), in KiB.
    static func highWaterMarkKiB(in status: UnsafeRawBufferPointer) -> Int64? {
        let key: StaticString = "VmHWM:"
        guard let base = status.baseAddress else { return nil }
        // Line by line with memchr: a byte loop is slow in debug builds.
        var index = 0
        while true {
            guard let newline = memchr(base + index, CInt(UInt8(ascii: "\n")), status.count - index) else {
                return nil
            }
            index = UnsafeRawPointer(newline) - base + 1
            if status.count - index >= key.utf8CodeUnitCount,
                memcmp(base + index, key.utf8Start, key.utf8CodeUnitCount) == 0
            {
                break
            }
        }
        index += key.utf8CodeUnitCount
        while index < status.count, status[index] == UInt8(ascii: " ") || status[index] == UInt8(ascii: "\t") {
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while index < status.count, digits < 18 {
            let digit = status[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            value = value * 10 + Int64(digit)
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }
}
