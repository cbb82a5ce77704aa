import Glibc

/// A process's start time, which tells a running process from a later one that reuses its pid.
public enum ProcessStart {
    /// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot.
    public static func ticks(of pid: Int32) -> UInt64? {
        guard let fields = statFields(at: "/proc/\(pid)/stat"), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The fields of a `/proc/.../stat` file after the command name (which is in parentheses and
    /// may hold spaces and ")"), from field 3 (the state) on; nil when it cannot be read.
    static func statFields(at path: String) -> [Substring]? {
        guard let stat = FileText.read(path), let nameEnd = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: nameEnd)...].split(separator: " ")
    }

    /// Whether `<pid>-<start ticks>[-<anything>]` names a process that is still running.
    static func isRunning(identity: String) -> Bool {
        let parts = identity.split(separator: "-")
        guard parts.count >= 2, let pid = pid_t(parts[0]), let ticks = UInt64(parts[1]) else { return false }
        return self.ticks(of: pid) == ticks
    }
}
