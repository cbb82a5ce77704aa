internal import Foundation

/// Names the calling thread for `top -H`, `perf` and `/proc/PID/task/*/comm`.
///
/// On Linux, Foundation passes a thread's name to the kernel only when the thread names itself,
/// and a thread made with `pthread_create` inherits its creator's name (often a libdispatch
/// worker's `com.apple.root...`); so each of the daemon's own threads names itself as it starts.
public enum ThreadName {
    /// The kernel keeps 15 bytes of a name, and refuses a longer one outright.
    static let limit = 15

    public static func set(_ name: String) {
        var kept = ""
        for scalar in name.unicodeScalars {
            guard kept.utf8.count + String(scalar).utf8.count <= limit else { break }
            kept.unicodeScalars.append(scalar)
        }
        Thread.current.name = kept
    }
}
