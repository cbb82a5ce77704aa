import Foundation
import Glibc

/// The bubblewrap (bwrap) command line that runs a handler in its sandbox.
///
/// The host's root is mounted read-only, with a fresh minimal /dev, a /proc of the sandbox's own
/// pid namespace and an empty private /tmp and /run: a read-only mount does not stop `connect(2)`
/// to a socket file, and /run holds the host's (D-Bus, systemd, container engines), through which
/// a handler could have commands run outside the sandbox. The project (and the daemon's data directory) are
/// covered by empty tmpfs mounts, and only the instance's own paths are bound back at their real
/// locations, so every path the handler is given (`FLINT_OBJECT_PATH`, `LAMBDA_TASK_ROOT`, ...)
/// stays valid inside. Without network, the sandbox has its own network namespace: loopback only.
struct BubblewrapCommand {
    /// The absolute path of `bwrap`.
    var bwrap: String
    /// Directories the sandbox must not show: the project root, the data directory, the buckets.
    var hiddenPaths: [String]
    var network: Bool

    /// `objectBound`: the process is passed the object's descriptor (`SandboxedObject`) as
    /// `SpawnOptions.passedFDNumber`, and the sandbox shows it at `paths.objectPath`.
    func wrapping(_ command: HandlerCommand, paths: InstancePaths, objectBound: Bool = false) -> HandlerCommand {
        var arguments = [
            bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run",
        ]
        if network {
            // Where /etc/resolv.conf points under /run (systemd-resolved, resolvconf, NetworkManager,
            // netconfig, ...): name resolution, not sockets.
            for directory in Self.resolverDirectories {
                arguments += ["--ro-bind-try", directory, directory]
            }
        }
        // bwrap cannot make a mount point in the read-only root: a path that does not exist (yet)
        // is skipped, and one inside another hidden path is covered by it.
        for hidden in hiddenPaths
        where !Self.isCovered(hidden) && !hiddenPaths.contains(where: { Self.isInside(hidden, $0) }) && access(hidden, F_OK) == 0 {
            arguments += ["--tmpfs", hidden]
        }
        arguments += ["--ro-bind", paths.functionDirectory, paths.functionDirectory]
        // A function directory that is a link has its target hidden as another function's would be.
        if let target = realpath(paths.functionDirectory, nil) {
            defer { free(target) }
            let resolved = String(cString: target)
            if resolved != paths.functionDirectory { arguments += ["--ro-bind", resolved, resolved] }
        }
        arguments += ["--bind", paths.workingDirectory, paths.workingDirectory]
        if let object = paths.objectPath, objectBound {
            // Without a descriptor (a removal's object is gone by design, and a created one may be
            // gone, or be a link, by the time its handler starts) the handler finds nothing there.
            arguments += ["--ro-bind-fd", String(SpawnOptions.passedFDNumber), object]
        }
        if let output = paths.outputDirectory {
            arguments += ["--bind", output, output]
        }
        arguments += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if !network {
            arguments.append("--unshare-net")
        }
        arguments += ["--die-with-parent", "--chdir", paths.workingDirectory, "--"]
        arguments += command.arguments
        return HandlerCommand(executable: bwrap, arguments: arguments)
    }

    /// The directories under /run that name resolution may read: the usual ones, and the one
    /// `/etc/resolv.conf` resolves into, when that is under /run.
    static let resolverDirectories: [String] = {
        var directories = ["/run/systemd/resolve", "/run/resolvconf"]
        if let resolved = realpath("/etc/resolv.conf", nil) {
            defer { free(resolved) }
            let directory = (String(cString: resolved) as NSString).deletingLastPathComponent
            if directory.hasPrefix("/run/"), !directories.contains(directory) { directories.append(directory) }
        }
        return directories
    }()

    /// Whether `path` is strictly inside `directory`.
    static func isInside(_ path: String, _ directory: String) -> Bool {
        path.count > directory.count && path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }

    /// Paths under /tmp, /run and /dev are already replaced by fresh mounts.
    static func isCovered(_ path: String) -> Bool {
        ["/tmp", "/run", "/dev"].contains { path == $0 || path.hasPrefix($0 + "/") }
    }
}

extension HandlerCommand {
    init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }
}
