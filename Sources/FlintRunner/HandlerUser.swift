public import Glibc

/// The account handler processes run as.
public struct HandlerUser: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t
    /// Supplementary groups (the user's, from the group database), its primary group included.
    public let groups: [gid_t]

    /// `nobody (65534)`.
    public var description: String { "\(name) (\(uid))" }

    public init(name: String, uid: uid_t, gid: gid_t, groups: [gid_t]) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// The user named `name` in the password database, or nil when there is none.
    public static func named(_ name: String) -> HandlerUser? {
        withPasswordEntry { entry, buffer, size, result in getpwnam_r(name, &entry, buffer, size, &result) }
    }

    /// The user this process runs as (its real uid).
    public static func current() -> HandlerUser {
        let uid = getuid()
        return withPasswordEntry { entry, buffer, size, result in getpwuid_r(uid, &entry, buffer, size, &result) }
            ?? HandlerUser(name: String(uid), uid: uid, gid: getgid(), groups: [getgid()])
    }

    private static func withPasswordEntry(
        _ lookup: (inout passwd, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<passwd>?) -> CInt
    ) -> HandlerUser? {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        return buffer.withUnsafeMutableBufferPointer { buffer -> HandlerUser? in
            guard let base = buffer.baseAddress else { return nil }
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard lookup(&entry, base, buffer.count, &result) == 0, result != nil, let namePointer = entry.pw_name else { return nil }
            let name = String(cString: namePointer)
            return HandlerUser(
                name: name, uid: entry.pw_uid, gid: entry.pw_gid, groups: groups(of: namePointer, primary: entry.pw_gid)
            )
        }
    }

    /// getgrouplist(3), growing its buffer until the list fits.
    private static func groups(of name: UnsafePointer<CChar>, primary: gid_t) -> [gid_t] {
        var count: CInt = 16
        while count <= 65536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(name, primary, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(found)))
            }
            count = max(found, count * 2)
        }
        return [primary]
    }

    /// For the spawn shim.
    var credentials: SpawnOptions.Credentials {
        SpawnOptions.Credentials(uid: uid, gid: gid, groups: groups)
    }
}
