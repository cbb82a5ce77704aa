internal import CInotifyTools
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif
internal import Synchronization

/// Whether this machine can watch buckets: libinotifytools links and the kernel gives it an
/// inotify instance. `flint up` reports the answer; bucket triggers build on it.
public enum InotifySupport {
    /// Why inotify is not available.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The library's inotify descriptor, once initialised.
    private static let descriptor = Mutex<Int32?>(nil)

    /// Initialises libinotifytools (once) and returns its inotify descriptor. The library keeps
    /// process-wide state, so only the bucket watcher's own thread may call it afterwards.
    ///
    /// Call it early: the library waits with `select()`, which cannot see a descriptor of 1024
    /// or above. The library leaves the descriptor inheritable; it is made close-on-exec here.
    @discardableResult
    public static func initialize() throws(Unavailable) -> Int32 {
        let result: Result<Int32, Unavailable> = descriptor.withLock { known in
            if let known { return .success(known) }
            let before = inotifyDescriptors()
            guard inotifytools_initialize() != 0 else {
                let code = inotifytools_error()
                return .failure(Unavailable(description: "libinotifytools could not create an inotify instance: \(String(cString: strerror(code))); raise fs.inotify.max_user_instances (sysctl) or stop other inotify users"))
            }
            // libinotifytools does not expose its descriptor: it is the inotify instance that
            // appeared during its initialisation.
            guard let fd = inotifyDescriptors().subtracting(before).min() else {
                return .failure(Unavailable(description: "libinotifytools initialised, but its inotify descriptor was not found in /proc/self/fd"))
            }
            guard fd < FD_SETSIZE else {
                return .failure(Unavailable(description: "libinotifytools got descriptor \(fd), which its select() cannot wait on (limit \(FD_SETSIZE)); initialise the bucket watcher earlier"))
            }
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
            known = fd
            return .success(fd)
        }
        return try result.get()
    }

    /// The open descriptors of this process that are inotify instances.
    private static func inotifyDescriptors() -> Set<Int32> {
        let directory = "/proc/self/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.compactMap { name -> Int32? in
            guard let fd = Int32(name),
                  (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")) == "anon_inode:inotify"
            else { return nil }
            return fd
        })
    }
}
