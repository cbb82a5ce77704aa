import Foundation
import Glibc

/// One instance's cgroup (on cgroup v1, its directory in each hierarchy): made or reused by
/// `CgroupPool`, joined at spawn through its open join files (`CgroupVersion.joinFile`), read for
/// metering, and emptied before it is handed back.
struct InstanceCgroup: Sendable {
    let version: CgroupVersion
    /// The function it is reserved for: a reused cgroup keeps the page cache its last use charged
    /// to it, which should count against the same function only.
    let function: String
    let memoryBytes: Int
    /// The directory with the memory files (v2: the one directory).
    let memory: String
    /// v1: the directory in the pids and cpuacct hierarchies, when they are mounted.
    let pids: String?
    let cpu: String?
    /// The open join file (`CgroupVersion.joinFile`) of each directory, for the spawn shim.
    let joinFDs: [CInt]
    let counters: CgroupCounters
    /// `oom_kill` before this use (v1 counts from the cgroup's creation and cannot be reset).
    private(set) var oomKillsBefore: Int64 = 0

    var directories: [String] { version == .v2 ? [memory] : [memory] + [pids, cpu].compactMap { $0 } }

    /// Makes the cgroup's directories, sets its limits and opens its join files.
    static func create(
        version: CgroupVersion, function: String, memory: String, pids: String?, cpu: String?,
        memoryBytes: Int, processes: Int
    ) throws(SystemError) -> InstanceCgroup {
        var made: [String] = []
        var fds: [CInt] = []
        do throws(SystemError) {
            for directory in [memory, pids, cpu].compactMap({ $0 }) where !made.contains(directory) {
                try Sys.mkdir(directory, mode: 0o755)
                made.append(directory)
            }
            try FileText.write(String(memoryBytes), to: memory + "/" + version.memoryLimitFile)
            do {
                // v1: must not be below memory.limit_in_bytes, so after it. Absent without swap accounting.
                try FileText.write(version == .v2 ? "0" : String(memoryBytes), to: memory + "/" + version.swapLimitFile)
            } catch where error.errno == ENOENT {}
            if let pids {
                try FileText.write(String(processes), to: pids + "/pids.max")
            }
            for directory in made {
                do throws(SystemError) {
                    fds.append(try Sys.open(directory + "/" + version.joinFile, flags: O_WRONLY | O_CLOEXEC))
                } catch {
                    throw SystemError("open \(directory)/\(version.joinFile)", errno: error.errno)
                }
            }
            let counters = try CgroupCounters(version: version, memory: memory, cpu: cpu, pids: pids)
            return InstanceCgroup(
                version: version, function: function, memoryBytes: memoryBytes, memory: memory, pids: pids, cpu: cpu,
                joinFDs: fds, counters: counters
            )
        } catch {
            fds.forEach(Sys.close)
            for directory in made.reversed() { try? Sys.rmdir(directory) }
            throw error
        }
    }

    /// Makes a v1 cgroup ready for its next use: its peak and CPU counters start again from now.
    mutating func reset() throws(SystemError) {
        try counters.reset()
        oomKillsBefore = counters.oomKills()
    }

    /// The memory charged to the cgroup now; nil when it cannot be read. Once it is empty, that is
    /// the page cache its processes brought in (files they read or wrote that are still cached).
    func chargedMemoryBytes() -> Int64? {
        counters.chargedMemoryBytes()
    }

    /// What the processes used since the cgroup was made or last reset. Unreadable figures are 0
    /// (CPU: nil, so the caller keeps wait4's).
    func usage() -> CgroupUsage {
        var usage = counters.read()
        usage.oomKills = max(0, usage.oomKills - oomKillsBefore)
        return usage
    }

    /// Kills every process still in the cgroup (those that left the handler's process group, or
    /// were forked while it was being killed) and waits until it is empty. Returns false when it
    /// is not empty by `deadline` (CLOCK_MONOTONIC nanoseconds). Usually one read: the handler's
    /// process group is already dead and reaped.
    func killRemaining(deadline: Int64) -> Bool {
        // Most often the handler's group is dead and reaped, and the count says so at once.
        if counters.holdsNoTasks() { return true }
        var pause = 20_000
        var killedWithCgroupKill = false
        while let pids = counters.memberPIDs(), !pids.isEmpty {
            // A process that has exited can stay listed a while, as a zombie or after: e.g. a
            // sandbox's pid-namespace init, reparented to PID 1 (which reaps when it gets to it)
            // once bwrap was reaped. It holds nothing and runs nothing.
            guard pids.contains(where: ProcessStart.isLive) else { return true }
            if Sys.monotonicNanoseconds() >= deadline { return false }
            // cgroup.kill (v2, Linux 5.14) kills forks that race with it, too.
            if version == .v2, !killedWithCgroupKill {
                killedWithCgroupKill = (try? FileText.write("1", to: memory + "/cgroup.kill")) != nil
            }
            if !killedWithCgroupKill {
                for pid in pids { Sys.kill(pid, SIGKILL) }
            }
            Sys.sleep(nanoseconds: pause)
            pause = min(pause * 2, 1_000_000)
        }
        return true
    }

    /// Kills every process in the cgroup at `directory` until it is empty or `deadline` passes.
    static func killAll(in directory: String, version: CgroupVersion, deadline: Int64) -> Bool {
        var killedWithCgroupKill = false
        while true {
            guard let text = FileText.read(directory + "/cgroup.procs") else { return true }
            let pids = CgroupCounters.members(listedIn: text)
            if pids.isEmpty { return true }
            if Sys.monotonicNanoseconds() >= deadline { return false }
            // cgroup.kill (v2, Linux 5.14) kills forks that race with it, too.
            if version == .v2, !killedWithCgroupKill {
                killedWithCgroupKill = (try? FileText.write("1", to: directory + "/cgroup.kill")) != nil
            }
            if !killedWithCgroupKill {
                for pid in pids { Sys.kill(pid, SIGKILL) }
            }
            Sys.sleep(nanoseconds: 200_000)
        }
    }

    /// Closes the files and removes the directories (empty cgroups only).
    func remove() throws(SystemError) {
        closeFiles()
        try removeDirectories()
    }

    /// Closes the join and counter files; call once.
    func closeFiles() {
        joinFDs.forEach(Sys.close)
        counters.close()
    }

    /// `removeDirectories`, tried again while the kernel still counts a task as a member (EBUSY)
    /// until `deadline` (CLOCK_MONOTONIC nanoseconds): a `CgroupStandby` thread that has posted its
    /// end may not have left yet.
    func removeDirectories(retryingUntil deadline: Int64) throws(SystemError) {
        var pause = 50_000
        while true {
            do throws(SystemError) {
                try removeDirectories()
                return
            } catch where error.errno == EBUSY && Sys.monotonicNanoseconds() < deadline {
                Sys.sleep(nanoseconds: pause)
                pause = min(pause * 2, 10_000_000)
            }
        }
    }

    /// Removes the directories (which only empty cgroups allow); one already gone is no error.
    func removeDirectories() throws(SystemError) {
        var firstError: SystemError?
        for directory in directories {
            do throws(SystemError) {
                try Sys.rmdir(directory)
            } catch where error.errno == ENOENT {
            } catch {
                firstError = firstError ?? SystemError("rmdir \(directory)", errno: error.errno)
            }
        }
        if let firstError { throw firstError }
    }
}

extension String {
    /// Without leading and trailing spaces and newlines (cgroup files end with one).
    var trimmingWhitespace: Substring {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        while let first = text.first, first == "\n" || first == " " { text.removeFirst() }
        return text
    }
}
