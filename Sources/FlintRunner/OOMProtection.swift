import Glibc

/// Keeps the kernel's OOM killer from choosing the daemon for a handler's memory cgroup.
///
/// A `CgroupStandby` thread waits in a function's memory cgroup, and stays a moment after the
/// handler it spawned has started. Were the cgroup to run out of memory in that moment, the OOM
/// killer would weigh each task in it by its process's memory (`oom_badness`: resident pages plus
/// `oom_score_adj` thousandths of the cgroup's limit) and could pick the daemon, whose memory is
/// larger than a new handler's. Two ways out:
///
/// - The daemon at `oom_score_adj` -1000 is never chosen (lowering it needs CAP_SYS_RESOURCE). Its
///   handlers get the score it started with back (the spawn shim writes it), as killable as before.
/// - Otherwise a handler spawned from a standby starts at 1000, which adds the whole limit to its
///   weight, and a standby waits, and spawns, only in a cgroup whose limit is at least twice the
///   daemon's resident size (read each time): the handler weighs more.
enum OOMProtection {
    /// The score handlers get (the daemon's own at start, or 0 if that was already -1000), once
    /// the daemon is protected; nil when it could not be. Worked out once per process.
    static let handlerScore: String? = protectThisProcess()

    /// The score of a handler spawned from a standby.
    static var standbyHandlerScore: String { handlerScore ?? "1000" }

    /// Whether a standby may wait in a memory cgroup limited to `memoryBytes`.
    static func allowsStandby(memoryBytes: Int) -> Bool {
        if handlerScore != nil { return true }
        guard let resident = residentBytes() else { return false }
        return Int64(memoryBytes) >= 2 * resident
    }

    /// The daemon's resident memory now (`/proc/self/statm`, in pages).
    private static func residentBytes() -> Int64? {
        // Opened anew when the kept descriptor could not be had (no descriptor to spare then).
        guard let text = statmDescriptor.flatMap({ FileText.read(fd: $0, capacity: 256) }) ?? FileText.read("/proc/self/statm", capacity: 256)
        else { return nil }
        let fields = text.split(separator: " ", maxSplits: 2)
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(CInt(_SC_PAGESIZE)))
    }

    /// Opened once: this is read before every spawn from a standby (when the daemon cannot be
    /// protected), and procfs regenerates the text on each pread without another path lookup.
    private static let statmDescriptor: CInt? = try? Sys.open("/proc/self/statm", flags: O_RDONLY | O_CLOEXEC)

    private static let path = "/proc/self/oom_score_adj"
    private static let protected = "-1000"

    private static func protectThisProcess() -> String? {
        guard let original = FileText.read(path).map({ String($0.trimmingWhitespace) }) else { return nil }
        if original == protected { return "0" }
        do throws(SystemError) {
            try FileText.write(protected, to: path)
            return original
        } catch {
            return nil
        }
    }
}
