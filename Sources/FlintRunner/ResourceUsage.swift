import Glibc

/// What a handler used: CPU times from wait4's rusage (which includes the children it waited for),
/// and the peak RSS that `PeakMemorySampler` measured (not `ru_maxrss`, which can be the daemon's).
struct ResourceUsage: Equatable {
    var userCPUMicros: Int64
    var systemCPUMicros: Int64
    /// Exact when the handler peaked above the daemon's own peak (then the largest of the handler
    /// and the children it waited for); otherwise the handler process's sampled peak, a lower bound.
    var peakRSSBytes: Int64

    static let zero = ResourceUsage(userCPUMicros: 0, systemCPUMicros: 0, peakRSSBytes: 0)

    init(userCPUMicros: Int64, systemCPUMicros: Int64, peakRSSBytes: Int64) {
        self.userCPUMicros = userCPUMicros
        self.systemCPUMicros = systemCPUMicros
        self.peakRSSBytes = peakRSSBytes
    }

    /// Takes the cgroup's figures, which cover every process of the instance (those it did not wait
    /// for, too): its memory high-water mark, and its CPU times when they could be read.
    mutating func apply(_ cgroup: CgroupUsage) {
        if cgroup.peakMemoryBytes > 0 { peakRSSBytes = cgroup.peakMemoryBytes }
        if let user = cgroup.userCPUMicros { userCPUMicros = user }
        if let system = cgroup.systemCPUMicros { systemCPUMicros = system }
    }

    init(_ usage: rusage, peakRSSBytes: Int64) {
        userCPUMicros = Int64(usage.ru_utime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec)
        systemCPUMicros = Int64(usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_stime.tv_usec)
        self.peakRSSBytes = peakRSSBytes
    }
}
