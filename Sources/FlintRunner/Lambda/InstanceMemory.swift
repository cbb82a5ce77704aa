import Glibc

/// A warm instance's peak resident memory: its process's `VmHWM`, read through a descriptor of
/// /proc/<pid>/status kept open, at most once per `interval`. The kernel's high-water mark never
/// decreases, so reading it less often only delays what it shows; it covers the runtime process,
/// over its life so far (not one invocation alone, nor its children).
final class InstanceMemory {
    /// Reads closer together than this reuse the last figure (a read costs several µs).
    static let interval: Int64 = 10_000_000

    private var sampler: PeakMemorySampler
    private var lastReadAt: Int64

    init(pid: pid_t, now: Int64) {
        sampler = PeakMemorySampler(pid: pid, now: now)
        lastReadAt = now
    }

    /// The peak so far, in bytes (0 when /proc could not be read).
    func peakBytes(now: Int64) -> Int64 {
        if now - lastReadAt >= Self.interval {
            sampler.sample(now: now)
            lastReadAt = now
        }
        return lastPeakBytes
    }

    /// The last figure read, without reading (the process may be gone).
    var lastPeakBytes: Int64 { sampler.sampledPeakKiB * 1024 }

    func close() {
        sampler.close()
    }
}
