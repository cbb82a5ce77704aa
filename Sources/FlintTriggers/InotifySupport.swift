internal import CInotifyTools
#if canImport(Glibc)
internal import Glibc
#endif

/// Whether this machine can watch buckets: libinotifytools links and the kernel gives it an
/// inotify instance. `flint up` reports the answer; bucket triggers build on it.
public enum InotifySupport {
    /// Why inotify is not available.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Initialises libinotifytools (idempotent). The library keeps process-wide state, so only
    /// the bucket watcher's own thread may call it afterwards.
    public static func initialize() throws(Unavailable) {
        guard inotifytools_initialize() != 0 else {
            let code = inotifytools_error()
            throw Unavailable(description: "libinotifytools could not create an inotify instance: \(String(cString: strerror(code))); check fs.inotify.max_user_instances")
        }
    }
}
