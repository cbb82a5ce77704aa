internal import CFlintSpawn  // flint_has_access_acl
internal import FlintCore
import Glibc

/// Whether a user can reach a directory, judged from the mode bits of it and of every directory
/// above it (ACLs are not consulted: a start-up check that names the directory to fix).
enum PathAccess {
    /// Why `user` cannot list and enter `path` (or, `traverseOnly`, pass through it), or nil.
    static func problem(reaching path: String, as user: HandlerUser, traverseOnly: Bool = false) -> String? {
        guard user.uid != 0 else { return nil }
        var prefix = ""
        let components = PathComponents.of(path, omittingEmpty: true)
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            let isLast = index == components.count - 1
            var info = stat()
            guard stat(prefix, &info) == 0 else {
                return "\(prefix): \(SystemError.describe(errno: errno))"
            }
            let needed: mode_t = isLast && !traverseOnly ? 0o5 : 0o1
            if !allows(info, needed, user) {
                let mode = String(info.st_mode & 0o7777, radix: 8)
                let what = needed == 0o5 ? "read" : "enter"
                return "\(prefix) (mode 0\(mode), owner uid \(info.st_uid)) does not let \(user) \(what) it"
            }
        }
        return nil
    }

    /// Why `user` cannot run the program at `path` (execute it, and read it too when it is a
    /// script, which its interpreter reads), or nil. A missing file is for other checks to name.
    static func problem(executing path: String, as user: HandlerUser) -> String? {
        guard user.uid != 0 else { return nil }
        let directory = PathComponents.of(path).dropLast().joined(separator: "/")
        if !directory.isEmpty, let problem = problem(reaching: directory, as: user, traverseOnly: true) { return problem }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        // An access ACL may grant what the mode bits do not: not judged, rather than refused wrongly.
        guard flint_has_access_acl(path) == 0 else { return nil }
        let needed: mode_t = isScript(path) ? 0o5 : 0o1
        guard !allows(info, needed, user) else { return nil }
        let mode = String(info.st_mode & 0o7777, radix: 8)
        let what = needed == 0o5 ? "read and execute" : "execute"
        return "\(path) (mode 0\(mode), owner uid \(info.st_uid)) does not let \(user) \(what) it"
    }

    /// Whether the file starts with `#!`.
    private static func isScript(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var start: (UInt8, UInt8) = (0, 0)
        return read(descriptor, &start, 2) == 2 && start == (UInt8(ascii: "#"), UInt8(ascii: "!"))
    }

    /// Whether the owner, group or other bits of `info` grant `bits` (r=4, w=2, x=1) to `user`.
    private static func allows(_ info: stat, _ bits: mode_t, _ user: HandlerUser) -> Bool {
        let shift: mode_t
        if info.st_uid == user.uid {
            shift = 6
        } else if user.groups.contains(info.st_gid) || info.st_gid == user.gid {
            shift = 3
        } else {
            shift = 0
        }
        return (info.st_mode >> shift) & bits == bits
    }
}
