import Glibc

/// A warm instance's peak memory over its life so far (not one invocation alone): its cgroup's
/// high-water mark when it has a memory cgroup, which covers every process of the instance (a
/// handler's children too); else its runtime process's `VmHWM`, read through a descriptor of
/// /proc/<pid>/status kept open. Read at most once per `interval`: a high-water mark never
/// decreases, so reading it less often only delays what it shows.
final class InstanceMemory {
    /// Reads closer together than this reuse the last figure (a read costs several µs).
    static let interval: Int64 = 10_000_000

    private var sampler: PeakMemorySampler
    private var lastReadAt: Int64
    /// The cgroup's high-water mark, when the instance has a memory cgroup.
    private let cgroupPeak: (() -> Int64?)?
    private var cgroupPeakBytes: Int64 = 0

    /// - Parameter cgroupPeak: reads the instance's cgroup high-water mark. Used only if it reads
    ///   now: a kernel without `memory.peak` (cgroup v2 before Linux 5.19) leaves `VmHWM`.
    init(pid: pid_t, now: Int64, cgroupPeak: (() -> Int64?)? = nil) {
        sampler = PeakMemorySampler(pid: pid, now: now)
        lastReadAt = now
        let first = cgroupPeak?()
        self.cgroupPeak = first == nil ? nil : cgroupPeak
        cgroupPeakBytes = first ?? 0
    }

    /// The peak so far, in bytes (0 when it could not be read).
    func peakBytes(now: Int64) -> Int64 {
        if now - lastReadAt >= Self.interval {
            if let cgroupPeak {
                cgroupPeakBytes = max(cgroupPeakBytes, cgroupPeak() ?? 0)
            } else {
                sampler.sample(now: now)
            }
            lastReadAt = now
        }
        return lastPeakBytes
    }

    /// The last figure read, without reading (the process may be gone).
    var lastPeakBytes: Int64 { cgroupPeak == nil ? sampler.sampledPeakKiB * 1024 : cgroupPeakBytes }

    func close() {
        sampler.close()
    }
}
