/// Which cgroup interface Flint drives, and the names of the files it uses there.
enum CgroupVersion: Equatable, Sendable {
    /// The unified hierarchy: one directory per cgroup, every controller's files in it.
    case v2
    /// One hierarchy per controller: `memory` (required), `pids` and `cpuacct` when mounted.
    case v1

    var memoryLimitFile: String { self == .v2 ? "memory.max" : "memory.limit_in_bytes" }
    /// Swap counts against the limit too, so a handler over it is killed rather than swapped out.
    var swapLimitFile: String { self == .v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes" }
    /// What is charged to the cgroup now, page cache included.
    var memoryUsageFile: String { self == .v2 ? "memory.current" : "memory.usage_in_bytes" }
    var peakMemoryFile: String { self == .v2 ? "memory.peak" : "memory.max_usage_in_bytes" }
    var oomEventsFile: String { self == .v2 ? "memory.events" : "memory.oom_control" }
    /// What a spawned child writes "0" to, to move itself in. On v1, `tasks`: it moves the writing
    /// thread only, which is the whole child (it has one), and the kernel then takes no global lock;
    /// a write to `cgroup.procs` takes `cgroup_threadgroup_rwsem` for writing, whose first writer
    /// after a quiet moment waits for an RCU grace period (~6 ms here, against ~0.13 ms through
    /// `tasks`), and which stalls a burst of moves now and then for 10–35 ms. (Kernels without
    /// that shortcut take the lock for `tasks` too: no worse.) v2 has no `tasks` (its
    /// `cgroup.threads` is for threaded cgroups only).
    var joinFile: String { self == .v2 ? "cgroup.procs" : "tasks" }
}
