import Glibc

/// What a handler used, from wait4's rusage (which includes the children it waited for).
struct ResourceUsage: Equatable {
    var userCPUMicros: Int64
    var systemCPUMicros: Int64
    var peakRSSBytes: Int64

    static let zero = ResourceUsage(userCPUMicros: 0, systemCPUMicros: 0, peakRSSBytes: 0)

    init(userCPUMicros: Int64, systemCPUMicros: Int64, peakRSSBytes: Int64) {
        self.userCPUMicros = userCPUMicros
        self.systemCPUMicros = systemCPUMicros
        self.peakRSSBytes = peakRSSBytes
    }

    init(_ usage: rusage) {
        userCPUMicros = Int64(usage.ru_utime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec)
        systemCPUMicros = Int64(usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_stime.tv_usec)
        // Linux reports ru_maxrss in KiB.
        peakRSSBytes = Int64(usage.ru_maxrss) * 1024
    }
}
