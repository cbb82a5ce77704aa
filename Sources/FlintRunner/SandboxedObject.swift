internal import FlintCore
import Glibc

/// The bucket object a sandboxed handler is shown: opened by the daemon, and bound into the
/// sandbox through that descriptor (bubblewrap's `--ro-bind-fd`), not by its path.
///
/// A path would be resolved again when bubblewrap binds it, after uploaders could have put a
/// symbolic link there (or at a directory on the way), which bubblewrap follows: a link to the
/// project would have shown it whole. The descriptor is opened beneath the buckets' root without
/// following any link (`FileBeneath`, as the bucket watcher reads objects), and only a regular
/// file is bound.
enum SandboxedObject {
    /// A read-only descriptor of the regular file at `path`, opened beneath the longest of
    /// `roots` that holds it; nil when there is none to bind (the object is gone, is a link or no
    /// regular file, or lies under none of the roots).
    ///
    /// `path` is compared with the roots as text, `.` and `..` taken out of both (the buckets root
    /// as flint.yaml names it, `./buckets`, and as the sandbox hides it); never by resolving
    /// links, which would follow the uploaders' ones below the root.
    static func open(_ objectPath: String, beneath roots: [String]) -> CInt? {
        let path = lexicallyNormal(objectPath)
        guard let root = roots.map(lexicallyNormal).filter({ BubblewrapCommand.isInside(path, $0) }).max(by: { $0.count < $1.count }) else {
            return nil
        }
        // The root is the operator's, and may be a link; the bucket (its first component below)
        // and everything under it are the uploaders', and may not.
        let relative = String(path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
        let components = PathComponents.of(relative)
        guard components.count >= 2 else { return nil }
        let key = components.dropFirst().joined(separator: "/")
        guard case .success(let fd) = FileBeneath.open(key, in: root + "/" + components[0]) else { return nil }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return nil
        }
        return fd
    }

    /// An absolute `path` without empty, `.` and `..` components (`..` takes away the one before
    /// it, as text).
    static func lexicallyNormal(_ path: String) -> String {
        var components: [String] = []
        for component in PathComponents.of(path, omittingEmpty: true) where component != "." {
            if component == ".." { _ = components.popLast() } else { components.append(component) }
        }
        return "/" + components.joined(separator: "/")
    }
}
