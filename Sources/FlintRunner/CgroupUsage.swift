/// What an instance's cgroup measured over one use: every process in it, children included.
struct CgroupUsage: Equatable {
    /// The cgroup's memory high-water mark (`memory.peak`, v1 `memory.max_usage_in_bytes`): the
    /// processes' memory and the page cache charged to them.
    var peakMemoryBytes: Int64
    /// nil when the CPU accounting files cannot be read (v1 without the cpuacct hierarchy).
    var userCPUMicros: Int64?
    var systemCPUMicros: Int64?
    /// How many processes the kernel's OOM killer ended because the memory limit was reached.
    var oomKills: Int64
}
