import Foundation
import Glibc

/// A process's start time, which tells a running process from a later one that reuses its pid.
public enum ProcessStart {
    /// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot.
    public static func ticks(of pid: Int32) -> UInt64? {
        guard let fields = statFields(at: "/proc/\(pid)/stat"), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether `pid` is the process that started at `ticks` and has not exited. A process that
    /// has exited keeps its pid and start, as a zombie, until its parent reaps it, which a
    /// supervisor or a container's init may take seconds to do: it is not running.
    public static func isRunning(_ pid: Int32, startedAt ticks: UInt64) -> Bool {
        guard let fields = statFields(at: "/proc/\(pid)/stat"), fields.count > 19, UInt64(fields[19]) == ticks,
            let state = fields[0].first
        else { return false }
        return isLive(pid, leaderState: state)
    }

    /// Whether `pid` is a process that has not exited: neither gone nor a zombie whose threads
    /// have all ended. A leader that ended with `pthread_exit` is a zombie while its other
    /// threads run on, and `cgroup.procs` lists only the leader.
    static func isLive(_ pid: pid_t) -> Bool {
        guard let leader = runState(of: "/proc/\(pid)/stat") else { return false }
        return isLive(pid, leaderState: leader)
    }

    private static func isLive(_ pid: pid_t, leaderState leader: Character) -> Bool {
        if leader != "Z" && leader != "X" { return true }
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return false }
        return threads.contains { thread in
            runState(of: "/proc/\(pid)/task/\(thread)/stat").map { $0 != "Z" && $0 != "X" } ?? false
        }
    }

    /// The state letter of a `/proc/.../stat` file; nil when it cannot be read.
    private static func runState(of path: String) -> Character? {
        statFields(at: path)?.first?.first
    }

    /// The fields of a `/proc/.../stat` file after the command name (which is in parentheses and
    /// may hold spaces and ")"), from field 3 (the state) on; nil when it cannot be read.
    static func statFields(at path: String) -> [Substring]? {
        // 52 fields, the command name at most 64 bytes: well under 1 KiB.
        guard let stat = FileText.read(path, capacity: 1024), let nameEnd = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: nameEnd)...].split(separator: " ")
    }

    /// Whether `<pid>-<start ticks>[-<anything>]` names a process that is still running.
    static func isRunning(identity: String) -> Bool {
        let parts = identity.split(separator: "-")
        guard parts.count >= 2, let pid = pid_t(parts[0]), let ticks = UInt64(parts[1]) else { return false }
        return isRunning(pid, startedAt: ticks)
    }
}
