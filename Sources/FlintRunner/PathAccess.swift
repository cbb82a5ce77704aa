import Glibc

/// Whether a user can reach a directory, judged from the mode bits of it and of every directory
/// above it (ACLs are not consulted: a start-up check that names the directory to fix).
enum PathAccess {
    /// Why `user` cannot list and enter `path` (or, `traverseOnly`, pass through it), or nil.
    static func problem(reaching path: String, as user: HandlerUser, traverseOnly: Bool = false) -> String? {
        guard user.uid != 0 else { return nil }
        var prefix = ""
        let components = path.split(separator: "/")
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
