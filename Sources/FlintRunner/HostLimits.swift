internal import FlintCore
import Glibc

/// Facts about the host read once, when a runner is made.
public struct HostLimits: Sendable, Hashable {
    /// Online CPUs: RLIMIT_CPU is the timeout times this.
    var cpuCount: Int
    /// The daemon's RLIMIT_NOFILE soft limit (for the spawn shim's fallback close loop).
    public internal(set) var descriptorLimit: Int

    public static func current() -> HostLimits {
        var limit = rlimit()
        let hasLimit = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
            && limit.rlim_cur != rlim_t.max
        return HostLimits(
            cpuCount: max(1, sysconf(CInt(_SC_NPROCESSORS_ONLN))),
            descriptorLimit: hasLimit ? Int(clamping: limit.rlim_cur) : 1 << 20
        )
    }

    /// RLIMIT_CPU for a timeout: no process can use more CPU time than the timeout on every CPU, so
    /// this only stops a handler whose timeout somehow failed to.
    func cpuSeconds(for timeout: Duration) -> Int {
        let seconds = timeout.timeInterval * Double(cpuCount)
        return max(1, Int(seconds.rounded(.up)))
    }
}
