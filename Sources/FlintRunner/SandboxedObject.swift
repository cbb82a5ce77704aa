internal import CFlintSpawn
import Glibc

/// The bucket object a sandboxed handler is shown: opened by the daemon, and bound into the
/// sandbox through that descriptor (bubblewrap's `--ro-bind-fd`), not by its path.
///
/// A path would be resolved again when bubblewrap binds it, after uploaders could have put a
/// symbolic link there (or at a directory on the way), which bubblewrap follows: a link to the
/// project would have shown it whole. The descriptor is opened beneath the buckets' root without
/// following any link, and only a regular file is bound.
enum SandboxedObject {
    /// An O_PATH descriptor of the regular file at `path`, opened beneath the longest of `roots`
    /// that holds it; nil when there is none to bind (the object is gone, is a link or no regular
    /// file, lies under none of the roots, or the kernel has no openat2).
    static func open(_ path: String, beneath roots: [String]) -> CInt? {
        guard let root = roots.filter({ BubblewrapCommand.isInside(path, $0) }).max(by: { $0.count < $1.count }) else {
            return nil
        }
        let relative = String(path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
        let fd = flint_open_beneath(root, relative)
        guard fd >= 0 else { return nil }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return nil
        }
        return fd
    }
}
