import Glibc

/// A process's start time, which tells a running process from a later one that reuses its pid.
enum ProcessStart {
    /// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot.
    static func ticks(of pid: pid_t) -> UInt64? {
        guard let stat = FileText.read("/proc/\(pid)/stat"), let nameEnd = stat.lastIndex(of: ")") else { return nil }
        // The fields after the name start at field 3 (state).
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Whether `<pid>-<start ticks>[-<anything>]` names a process that is still running.
    static func isRunning(identity: String) -> Bool {
        let parts = identity.split(separator: "-")
        guard parts.count >= 2, let pid = pid_t(parts[0]), let ticks = UInt64(parts[1]) else { return false }
        return self.ticks(of: pid) == ticks
    }
}
