/// Where this process's cgroups are, as directories: the cgroup v2 one (if cgroup2 is mounted) and
/// the cgroup v1 one of each mounted v1 controller. Read from /proc/self/mountinfo and
/// /proc/self/cgroup once, at start-up.
struct CgroupMounts: Equatable {
    /// This process's cgroup in the unified (v2) hierarchy, e.g. `/sys/fs/cgroup/system.slice/x`.
    var unified: String?
    /// This process's cgroup in each v1 hierarchy, by controller (`memory`, `pids`, `cpuacct`).
    var controllers: [String: String]

    /// Reads the running process's mounts and cgroups; empty when /proc cannot be read.
    static func current() -> CgroupMounts {
        let mountInfo = FileText.read("/proc/self/mountinfo") ?? ""
        let membership = FileText.read("/proc/self/cgroup") ?? ""
        return CgroupMounts(mountInfo: mountInfo, membership: membership)
    }

    /// - Parameters:
    ///   - mountInfo: the text of /proc/self/mountinfo.
    ///   - membership: the text of /proc/self/cgroup (`ID:controllers:path` lines; `0::path` is v2).
    init(mountInfo: String, membership: String) {
        var paths: [String: String] = [:]  // "" is the unified hierarchy
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0", fields[1].isEmpty {
                paths[""] = String(fields[2])
            } else {
                for controller in fields[1].split(separator: ",") { paths[String(controller)] = String(fields[2]) }
            }
        }
        var unified: String?
        var controllers: [String: String] = [:]
        for line in mountInfo.split(separator: "\n") {
            guard let mount = Mount(line: line) else { continue }
            if mount.type == "cgroup2", unified == nil, let path = paths[""] {
                unified = mount.directory(for: path)
            } else if mount.type == "cgroup" {
                for option in mount.superOptions.split(separator: ",") {
                    let controller = String(option)
                    guard controllers[controller] == nil, let path = paths[controller],
                        let directory = mount.directory(for: path)
                    else { continue }
                    controllers[controller] = directory
                }
            }
        }
        self.unified = unified
        self.controllers = controllers
    }

    /// One line of /proc/self/mountinfo.
    private struct Mount {
        /// The directory of the hierarchy mounted here (`/` unless a namespace or bind mount shows
        /// only part of it).
        var root: String
        var point: String
        var type: String
        var superOptions: String

        init?(line: Substring) {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { return nil }
            let fields = halves[0].split(separator: " ")
            let tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3 else { return nil }
            root = Self.unescape(fields[3])
            point = Self.unescape(fields[4])
            type = String(tail[0])
            superOptions = String(tail[2])
        }

        /// The directory of the cgroup at `path` in this hierarchy, or nil when this mount does not
        /// show it.
        func directory(for path: String) -> String? {
            let relative: Substring
            if root == "/" {
                relative = Substring(path)
            } else if path == root {
                relative = ""
            } else if path.hasPrefix(root + "/") {
                relative = path.dropFirst(root.count)
            } else {
                return nil
            }
            let trimmed = relative == "/" ? "" : relative
            return point == "/" ? String(trimmed.isEmpty ? "/" : trimmed) : point + trimmed
        }

        /// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
        static func unescape(_ field: Substring) -> String {
            guard field.contains("\\") else { return String(field) }
            var bytes: [UInt8] = []
            var index = field.utf8.startIndex
            let utf8 = field.utf8
            while index < utf8.endIndex {
                let byte = utf8[index]
                if byte == UInt8(ascii: "\\"), utf8.distance(from: index, to: utf8.endIndex) >= 4,
                    let value = UInt8(String(field[utf8.index(after: index) ..< utf8.index(index, offsetBy: 4)]), radix: 8)
                {
                    bytes.append(value)
                    index = utf8.index(index, offsetBy: 4)
                } else {
                    bytes.append(byte)
                    index = utf8.index(after: index)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
