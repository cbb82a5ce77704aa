internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// One daemon per data directory: an exclusive `flock` on `daemon.lock`, held for the daemon's
/// whole life and let go by the kernel when the process ends, however it ends.
///
/// `daemon.json` cannot do this on its own: it is written once the daemon serves, after the
/// start-up scan of its buckets, and a second `flint up` in the meantime would have emptied the
/// first one's working directories, put its leased deliveries back, and removed its files.
final class DaemonLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Takes the lock at `path`; nil when another process holds it. Tried for up to ~1 s:
    /// `isHeld(at:)` of a command run meanwhile holds it for a moment.
    static func acquire(at path: String) throws(DaemonError) -> DaemonLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw .startup("cannot open \(path): \(String(cString: strerror(errno))); check the data directory's permissions")
        }
        for attempt in 1 ... 50 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return DaemonLock(descriptor: descriptor) }
            let failure = errno
            if failure == EWOULDBLOCK, attempt < 50 {
                usleep(20_000)
                continue
            }
            close(descriptor)
            if failure == EWOULDBLOCK { return nil }
            throw .startup("cannot lock \(path): \(String(cString: strerror(failure)))")
        }
        close(descriptor)
        return nil
    }

    /// Whether a daemon holds the lock at `path` now; nil when that cannot be told (the file
    /// cannot be opened by this user). Unlike a pid, it holds across pid namespaces and
    /// `hidepid`: the kernel lets the lock go when its process ends, however it ends.
    public static func isHeld(at path: String) -> Bool? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return errno == ENOENT ? false : nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK ? true : nil }
        flock(descriptor, LOCK_UN)
        return false
    }
}
