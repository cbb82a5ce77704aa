import Foundation
import Glibc
import Logging
import Synchronization

/// Start-up: finding (or making) this daemon's parent cgroups, and removing those of daemons that
/// are gone.
extension CgroupPool {
    /// Pools made by this process: a part of each one's parent's name.
    private static let poolsMade = Atomic<Int>(0)

    /// Why no cgroup is used: for `flint up`'s isolation line.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Sets up this daemon's parent cgroups: on cgroup v2 when its memory and pids controllers can
    /// be used, else on the v1 memory hierarchy (with pids and cpuacct when mounted). Removes the
    /// parents of daemons that are no longer running first.
    static func prepare(
        mounts: CgroupMounts, processes: Int, emptyingTimeout: Int64, quietGap: Int64 = CgroupPool.defaultQuietGap, logger: Logger
    ) -> Result<CgroupPool, Unavailable> {
        // Unique per pool: tests (and a daemon reloading) may hold several at once.
        let identity = "\(getpid())-\(ProcessStart.ticks(of: getpid()) ?? 0)-\(poolsMade.add(1, ordering: .relaxed).newValue)"
        var reasons: [String] = []
        if let unified = mounts.unified {
            switch prepareV2(unified: unified, identity: identity) {
            case .success(let parent):
                return .success(CgroupPool(
                    version: .v2, memoryParent: parent, pidsParent: parent, cpuParent: parent, processes: processes,
                    emptyingTimeout: emptyingTimeout, quietGap: quietGap, logger: logger
                ))
            case .failure(let reason):
                reasons.append("cgroup v2: \(reason)")
            }
        } else {
            reasons.append("cgroup v2: not mounted")
        }
        guard let memory = mounts.controllers["memory"] else {
            reasons.append("cgroup v1: no memory hierarchy is mounted")
            return .failure(Unavailable(description: reasons.joined(separator: "; ")))
        }
        let parent: String
        do throws(SystemError) {
            parent = try makeParent(in: memory, identity: identity, version: .v1)
        } catch {
            reasons.append("cgroup v1: \(error)")
            return .failure(Unavailable(description: reasons.joined(separator: "; ")))
        }
        func optional(_ controller: String) -> String? {
            guard let directory = mounts.controllers[controller] else { return nil }
            do throws(SystemError) {
                return try makeParent(in: directory, identity: identity, version: .v1)
            } catch {
                logger.warning("cgroup v1 \(controller) hierarchy unusable, going without it: \(error)")
                return nil
            }
        }
        return .success(CgroupPool(
            version: .v1, memoryParent: parent, pidsParent: optional("pids"), cpuParent: optional("cpuacct"),
            processes: processes, emptyingTimeout: emptyingTimeout, quietGap: quietGap, logger: logger
        ))
    }

    /// On v2, controllers reach a cgroup's children only through its `cgroup.subtree_control`, and
    /// a cgroup other than the root that enables them may hold no processes itself: the daemon
    /// then moves into a leaf, `flint-daemon`, beside Flint's parent (what systemd's `Delegate=`
    /// expects of a service).
    private static func prepareV2(unified: String, identity: String) -> Result<String, Unavailable> {
        let available = (FileText.read(unified + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace)
        let missing = ["memory", "pids"].filter { !available.contains(Substring($0)) }
        guard missing.isEmpty else {
            return .failure(Unavailable(description: "the \(missing.joined(separator: " and ")) controller\(missing.count == 1 ? " is" : "s are") not delegated to \(unified)"))
        }
        do throws(SystemError) {
            do throws(SystemError) {
                try FileText.write("+memory +pids", to: unified + "/cgroup.subtree_control")
            } catch where error.errno == EBUSY {
                let leaf = unified + "/flint-daemon"
                do throws(SystemError) { try Sys.mkdir(leaf, mode: 0o755) } catch where error.errno == EEXIST {}
                try FileText.write(String(getpid()), to: leaf + "/cgroup.procs")
                try FileText.write("+memory +pids", to: unified + "/cgroup.subtree_control")
            }
            return .success(try makeParent(in: unified, identity: identity, version: .v2))
        } catch {
            return .failure(Unavailable(description: "\(error)"))
        }
    }

    /// Makes `<directory>/flint/<identity>` after removing the stale parents beside it.
    private static func makeParent(in directory: String, identity: String, version: CgroupVersion) throws(SystemError) -> String {
        // A daemon (or pool) that stops removes `<directory>/flint` once it is empty: if that
        // happened between the two mkdirs, the base is made again.
        var attempt = 1
        while true {
            do throws(SystemError) {
                return try makeParentOnce(in: directory, identity: identity, version: version)
            } catch where error.errno == ENOENT && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func makeParentOnce(in directory: String, identity: String, version: CgroupVersion) throws(SystemError) -> String {
        let base = directory + "/flint"
        do throws(SystemError) { try Sys.mkdir(base, mode: 0o755) } catch where error.errno == EEXIST {} catch {
            throw SystemError("mkdir \(base)", errno: error.errno)
        }
        if version == .v2 {
            try FileText.write("+memory +pids", to: base + "/cgroup.subtree_control")
        }
        removeStaleParents(in: base, version: version)
        let parent = base + "/" + identity
        do throws(SystemError) { try Sys.mkdir(parent, mode: 0o755) } catch where error.errno == EEXIST {} catch {
            throw SystemError("mkdir \(parent)", errno: error.errno)
        }
        if version == .v2 {
            try FileText.write("+memory +pids", to: parent + "/cgroup.subtree_control")
        }
        return parent
    }

    /// Empties and removes `<base>/<pid>-<start>-<n>` of daemons that are no longer running.
    static func removeStaleParents(in base: String, version: CgroupVersion) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        let deadline = Sys.monotonicNanoseconds() + defaultEmptyingTimeout
        for entry in entries where !ProcessStart.isRunning(identity: entry) {
            let parent = base + "/" + entry
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue,
                entry.contains("-")
            else { continue }
            for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                let path = parent + "/" + child
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
                else { continue }
                _ = InstanceCgroup.killAll(in: path, version: version, deadline: deadline)
                try? Sys.rmdir(path)
            }
            try? Sys.rmdir(parent)
        }
    }
}

