import Glibc

/// The files an instance's cgroup is read (and, on v1, reset) through, kept open for the life of
/// the cgroup: a read is then one pread(2) instead of an open, a read and a close.
struct CgroupCounters: Sendable {
    let version: CgroupVersion
    /// `memory.peak` (v1 `memory.max_usage_in_bytes`, opened read-write to reset it).
    private let peak: CInt
    /// `memory.events` (v1 `memory.oom_control`).
    private let oomEvents: CInt
    /// `memory.current` (v1 `memory.usage_in_bytes`): what is charged now, page cache included.
    private let usage: CInt
    /// v2: `cpu.stat`. v1: `cpuacct.usage_user`, `cpuacct.usage_sys`, and `cpuacct.usage` to
    /// reset them; -1 without the cpuacct hierarchy.
    private let cpuStat: CInt
    private let cpuUser: CInt
    private let cpuSystem: CInt
    private let cpuReset: CInt
    /// v2: `cgroup.procs`, to see who is left. v1: -1 (see `memberPIDs()`).
    private let members: CInt
    private let membersPath: String
    /// v1: `pids.current` of the instance's pids cgroup, when the pids hierarchy is used; -1 otherwise.
    private let taskCount: CInt

    /// Opens the files; a file the kernel does not have (`memory.peak` before Linux 5.19) stays
    /// closed and reads as nothing.
    init(version: CgroupVersion, memory: String, cpu: String?, pids: String? = nil) throws(SystemError) {
        self.version = version
        func open(_ path: String, _ flags: CInt) -> CInt { (try? Sys.open(path, flags: flags | O_CLOEXEC)) ?? -1 }
        peak = open(memory + "/" + version.peakMemoryFile, version == .v1 ? O_RDWR : O_RDONLY)
        oomEvents = open(memory + "/" + version.oomEventsFile, O_RDONLY)
        usage = open(memory + "/" + version.memoryUsageFile, O_RDONLY)
        membersPath = memory + "/cgroup.procs"
        do throws(SystemError) {
            members = version == .v2 ? try Sys.open(membersPath, flags: O_RDONLY | O_CLOEXEC) : -1
        } catch {
            for fd in [peak, oomEvents, usage] where fd >= 0 { Sys.close(fd) }
            throw SystemError("open \(membersPath)", errno: error.errno)
        }
        taskCount = version == .v1 ? pids.map { open($0 + "/pids.current", O_RDONLY) } ?? -1 : -1
        switch (version, cpu) {
        case (.v2, _):
            cpuStat = open(memory + "/cpu.stat", O_RDONLY)
            (cpuUser, cpuSystem, cpuReset) = (-1, -1, -1)
        case (.v1, let cpu?):
            cpuStat = -1
            cpuUser = open(cpu + "/cpuacct.usage_user", O_RDONLY)
            cpuSystem = open(cpu + "/cpuacct.usage_sys", O_RDONLY)
            cpuReset = open(cpu + "/cpuacct.usage", O_WRONLY)
        case (.v1, nil):
            (cpuStat, cpuUser, cpuSystem, cpuReset) = (-1, -1, -1, -1)
        }
    }

    func close() {
        for fd in [peak, oomEvents, usage, cpuStat, cpuUser, cpuSystem, cpuReset, members, taskCount] where fd >= 0 {
            Sys.close(fd)
        }
    }

    /// v1: the peak and the CPU times start again from now (the OOM count cannot be reset).
    func reset() throws(SystemError) {
        try FileText.write("0", fd: peak)
        if cpuReset >= 0 {
            try FileText.write("0", fd: cpuReset)
        }
    }

    /// Whether the kernel has the peak file: without it, `read()`'s peak is 0.
    var measuresPeak: Bool { peak >= 0 }

    /// The cgroup's memory high-water mark since it was made or last reset; nil when it cannot
    /// be read.
    func peakMemoryBytes() -> Int64? {
        FileText.number(fd: peak)
    }

    /// The memory charged to the cgroup now; nil when it cannot be read.
    func chargedMemoryBytes() -> Int64? {
        FileText.number(fd: usage)
    }

    /// What the cgroup measured; `oomKills` since it was made.
    func read() -> CgroupUsage {
        var usage = CgroupUsage(
            peakMemoryBytes: FileText.number(fd: peak) ?? 0, userCPUMicros: nil, systemCPUMicros: nil,
            oomKills: oomKills()
        )
        if version == .v2 {
            if let stat = FileText.read(fd: cpuStat, capacity: 1024) {
                usage.userCPUMicros = FileText.value(of: "user_usec", in: stat)
                usage.systemCPUMicros = FileText.value(of: "system_usec", in: stat)
            }
        } else {
            usage.userCPUMicros = FileText.number(fd: cpuUser).map { $0 / 1000 }
            usage.systemCPUMicros = FileText.number(fd: cpuSystem).map { $0 / 1000 }
        }
        return usage
    }

    func oomKills() -> Int64 {
        FileText.read(fd: oomEvents, capacity: 1024).flatMap { FileText.value(of: "oom_kill", in: $0) } ?? 0
    }

    /// Whether the cgroup certainly holds no task now: v1's `pids.current` reads 0, through a
    /// descriptor kept open (one pread, where listing `cgroup.procs` takes an open, a read, a
    /// close and the kernel's pid list). False when it cannot tell (v2, no pids hierarchy, an
    /// unreadable count): the caller then lists the members.
    func holdsNoTasks() -> Bool {
        taskCount >= 0 && FileText.number(fd: taskCount) == 0
    }

    /// The pids in the cgroup now (up to a few hundred per read; callers read again after killing).
    ///
    /// v1 opens `cgroup.procs` afresh for each read: a read through a descriptor that has already
    /// been read returns the pid list the kernel cached for it (`cgroup_pidlist_start`, kept until
    /// a second after the last read), which misses processes that joined since and lists ones
    /// gone (whose pids may be another process's by now). v2 lists the cgroup's members again on
    /// every read from offset 0.
    ///
    /// The daemon's own pid is left out: on v1 it is listed while a `CgroupStandby` thread waits
    /// in the cgroup (or is on its way out), and nothing may ever kill it.
    func memberPIDs() -> [pid_t]? {
        let text = version == .v2 ? FileText.read(fd: members, capacity: 8192) : FileText.read(membersPath)
        return text.map { Self.members(listedIn: $0) }
    }

    /// The pids a `cgroup.procs` text lists, but the daemon's own.
    static func members(listedIn text: String) -> [pid_t] {
        let daemon = getpid()
        return text.split(separator: "\n").compactMap { pid_t($0) }.filter { $0 != daemon }
    }
}
