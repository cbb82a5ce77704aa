import Glibc

/// Names the calling thread for `top -H`, `perf` and `/proc/PID/task/*/comm`.
///
/// A thread made with `pthread_create` inherits its creator's name (often a libdispatch worker's
/// `com.apple.root...`), and Foundation's `Thread.name` reaches the kernel only sometimes on
/// Linux; so each of the daemon's own threads names itself as it starts, by writing its own
/// `comm` (what `pthread_setname_np` does, which Swift cannot call here without `_GNU_SOURCE`).
public enum ThreadName {
    /// The kernel keeps 15 bytes of a name.
    static let limit = 15

    /// Best effort: a thread that cannot be named (no /proc) keeps the name it has.
    public static func set(_ name: String) {
        var kept = ""
        for scalar in name.unicodeScalars {
            guard kept.utf8.count + String(scalar).utf8.count <= limit else { break }
            kept.unicodeScalars.append(scalar)
        }
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = kept.withCString { write(descriptor, $0, strlen($0)) }
    }
}
