#if canImport(Glibc)
internal import Glibc
#endif

/// Opens a file below a directory one path component at a time, none through a symbolic link
/// (not only the last, as `O_NOFOLLOW` on the whole path would check): a directory on the way
/// swapped for a link cannot lead outside the directory. Works on every kernel (`openat2`'s
/// `RESOLVE_NO_SYMLINKS` needs Linux 5.6, and container profiles may refuse it).
public enum FileBeneath {
    /// A failed call's `errno`.
    public struct Failure: Error, Sendable, Equatable {
        public let code: Int32
    }

    /// `relative` under `directory`, opened read-only (close-on-exec, and non-blocking: opening a
    /// FIFO must not wait for a writer). `directory` itself may be reached through links (its
    /// last component may not be one); the failing call's `errno` otherwise, `EINVAL` for a
    /// component Flint never opens (`.`, `..`, empty).
    public static func open(_ relative: String, in directory: String) -> Result<Int32, Failure> {
        var current = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard current >= 0 else { return .failure(Failure(code: errno)) }
        let components = PathComponents.of(relative)
        for (index, component) in components.enumerated() {
            guard !component.isEmpty, component != ".", component != ".." else {
                close(current)
                return .failure(Failure(code: EINVAL))
            }
            let isLast = index == components.count - 1
            let flags = isLast ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            let next = openat(current, component, flags)
            let failure = errno
            close(current)
            guard next >= 0 else { return .failure(Failure(code: failure)) }
            current = next
        }
        return .success(current)
    }
}
