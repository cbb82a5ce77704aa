public import FlintCore
import Foundation
public import Logging
import Synchronization

/// How handlers are kept apart from the daemon, from each other and from the host, beyond what
/// every handler gets (clean environment, own session, fresh working directory, rlimits): the
/// user they run as, a cgroup per instance, and the bubblewrap sandbox. Worked out once, at
/// start-up (`prepare`); `instance(of:paths:)` then gives each handler process its share.
public final class HandlerIsolation: Sendable {
    /// The account handlers run as, when it is not the daemon's own (nil: no switch).
    public let user: HandlerUser?
    /// Handlers run as root because flint.yaml says `user: root`.
    public let runsAsRootByRequest: Bool
    let cgroups: CgroupPool?
    /// Why there are no cgroups (nil when there are, or when they were not asked for).
    public let cgroupsUnavailable: String?
    /// The path of `bwrap`, when installed.
    public let bubblewrap: String?
    /// Whether that `bwrap` binds from a descriptor (`--ro-bind-fd`, which a sandbox shows its
    /// bucket object through: `SandboxedObject`); nil without one.
    let bubblewrapSupport: BubblewrapSupport?

    enum BubblewrapSupport: Equatable {
        case bindsDescriptors
        case lacksDescriptorBinding
        /// `bwrap --help` could not be run, and why.
        case cannotRun(String)
    }
    /// What sandboxes cover with empty directories; grows at a reload (`hide`).
    private let hidden: Mutex<[String]>
    var hiddenPaths: [String] { hidden.withLock { $0 } }
    /// `pids.max` of each instance's cgroup.
    let processes: Int

    init(
        user: HandlerUser?, runsAsRootByRequest: Bool, cgroups: CgroupPool?, cgroupsUnavailable: String?,
        bubblewrap: String?, hiddenPaths: [String], processes: Int
    ) {
        self.user = user
        self.runsAsRootByRequest = runsAsRootByRequest
        self.cgroups = cgroups
        self.cgroupsUnavailable = cgroupsUnavailable
        self.bubblewrap = bubblewrap
        self.bubblewrapSupport = bubblewrap.map { Self.support(of: $0) }
        self.hidden = Mutex(hiddenPaths)
        self.processes = processes
    }

    /// Nothing beyond the process isolation every handler gets: the daemon's user, no cgroup, no
    /// sandbox (a function asking for one is refused).
    public static let processOnly = HandlerIsolation(
        user: nil, runsAsRootByRequest: false, cgroups: nil, cgroupsUnavailable: "not asked for", bubblewrap: nil,
        hiddenPaths: [], processes: 0
    )

    /// The isolation `flint up` would prepare for flint.yaml's `user`, without its cgroups: who
    /// handlers run as and whether bubblewrap is here, for the checks made before it runs
    /// (`flint validate`, `flint init`) with `refusal(of:)`.
    ///
    /// - Throws: `IsolationError` when `user` cannot be honoured.
    public static func forChecks(user: String?) throws(IsolationError) -> HandlerIsolation {
        try prepare(IsolationSettings(user: user, cgroups: false), logger: Logger(label: "flint"))
    }

    /// Works out the handler user, sets up the cgroups (removing those a killed daemon left) and
    /// finds `bwrap`.
    ///
    /// - Throws: `IsolationError` when `settings.user` cannot be honoured.
    public static func prepare(_ settings: IsolationSettings, logger: Logger) throws(IsolationError) -> HandlerIsolation {
        let daemon = HandlerUser.current()
        var user: HandlerUser?
        var rootByRequest = false
        switch settings.user {
        case nil where daemon.uid == 0:
            guard let nobody = HandlerUser.named("nobody") else { throw .noNobody() }
            user = nobody
        case nil:
            user = nil
        case let name?:
            guard let named = HandlerUser.named(name) else { throw .unknownUser(name) }
            if named.uid == daemon.uid {
                rootByRequest = named.uid == 0
            } else if daemon.uid == 0 {
                user = named
            } else {
                throw .needsRoot(name, daemon: daemon)
            }
        }
        var pool: CgroupPool?
        var unavailable: String?
        if settings.cgroups {
            switch CgroupPool.prepare(
                mounts: .current(), processes: settings.processes, emptyingTimeout: settings.emptyingTimeout.nanoseconds, logger: logger) {
            case .success(let prepared): pool = prepared
            case .failure(let reason): unavailable = reason.description
            }
        } else {
            unavailable = "not asked for"
        }
        let searchPath = settings.searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? ExecutableLookup.defaultSearchPath
        return HandlerIsolation(
            user: user, runsAsRootByRequest: rootByRequest, cgroups: pool, cgroupsUnavailable: unavailable,
            bubblewrap: HandlerCommand.search("bwrap", in: searchPath), hiddenPaths: settings.hiddenPaths,
            processes: settings.processes
        )
    }

    // MARK: Per function

    /// Why `function` cannot be run with the isolation it asks for, or nil. `flint up` refuses to
    /// start while any function has one.
    public func refusal(of function: FunctionManifest) -> String? {
        if function.isolation == .sandbox, function.runtime == .lambda {
            // Its instances serve the Runtime API on the daemon's loopback, which a sandbox's own
            // network namespace cannot reach.
            return "function \(function.name): isolation: sandbox is not available for runtime: lambda; use isolation: process"
        }
        if function.isolation == .sandbox, bubblewrap == nil {
            return "function \(function.name): isolation: sandbox needs bubblewrap (bwrap), which is not installed or not on PATH; install it (apt-get install bubblewrap) or set isolation: process"
        }
        if function.isolation == .sandbox, let bubblewrap {
            switch bubblewrapSupport {
            case .lacksDescriptorBinding:
                return "function \(function.name): isolation: sandbox needs a bubblewrap with --ro-bind-fd (0.10 or later, or an older one with the security update for CVE-2024-42472), and \(bubblewrap) has none; update it (apt-get install --only-upgrade bubblewrap) or set isolation: process"
            case .cannotRun(let reason):
                return "function \(function.name): isolation: sandbox needs bubblewrap, and \(bubblewrap) cannot be run (\(reason)); check it with \(bubblewrap) --version, or set isolation: process"
            case .bindsDescriptors, nil:
                break
            }
        }
        if let user, let problem = PathAccess.problem(reaching: function.directory, as: user) {
            return "function \(function.name): handlers run as \(user), who cannot read the function's directory: \(problem); make it readable (chmod o+rx), or set user: in flint.yaml"
        }
        // A program named by path (`./handler.sh`, `/opt/x/run`); one found on PATH is the system's.
        if let user, let program = function.command.first, program.contains("/") {
            let path = program.hasPrefix("/") ? program : HandlerCommand.join(function.directory, program)
            if let problem = PathAccess.problem(executing: path, as: user) {
                return "function \(function.name): handlers run as \(user), who cannot run its command: \(problem); make it executable for others (chmod o+rx), or set user: in flint.yaml"
            }
        }
        return nil
    }

    /// What `function` actually gets, for `flint up`: `user nobody (65534), cgroup v1 (memory
    /// 256Mi, pids 512, cpuacct), sandbox (bubblewrap, no network)`.
    public func summary(of function: FunctionManifest) -> String {
        let account: String
        if let user {
            account = "user \(user)"
        } else if runsAsRootByRequest {
            account = "user root (user: root in flint.yaml)"
        } else {
            account = "user \(HandlerUser.current()) (Flint's own)"
        }
        let cgroup: String
        if let cgroups {
            let limits = ["memory \(ByteSizeText.format(function.memoryBytes))"]
                + (cgroups.pidsParent == nil ? [] : ["pids \(cgroups.processes)"])
                + (cgroups.cpuParent == nil ? [] : [cgroups.version == .v2 ? "cpu" : "cpuacct"])
            cgroup = "cgroup \(cgroups.version == .v2 ? "v2" : "v1") (\(limits.joined(separator: ", ")))"
        } else {
            cgroup = "no cgroup (\(cgroupsUnavailable ?? "unavailable"); memory limited by RLIMIT_DATA)"
        }
        let sandbox: String
        switch function.isolation {
        case .process: sandbox = "no sandbox (isolation: process)"
        case .sandbox: sandbox = "sandbox (bubblewrap, \(function.network ? "host network" : "no network"))"
        }
        return "\(account), \(cgroup), \(sandbox)"
    }

    // MARK: Per instance

    /// Gives a directory made for an instance (working or output directory) to the handler user.
    func prepareDirectory(_ path: String) throws(SystemError) {
        guard let user else { return }
        do throws(SystemError) {
            _ = try systemCall("chown") { chown(path, user.uid, user.gid) }
        } catch {
            throw SystemError("chown \(path)", errno: error.errno)
        }
    }

    /// When Flint stops, once its handlers have ended: removes the cgroups it kept, and its own
    /// parent cgroups (else they would stay until the next `flint up` removed them as stale).
    public func close() {
        cgroups?.close()
    }

    /// Sandboxes started from now on cover `paths` too: a reload's new `functions:` directories
    /// and the targets of function directories that are links. What was hidden stays hidden.
    public func hide(_ paths: [String]) {
        hidden.withLock { hidden in hidden += paths.filter { !hidden.contains($0) } }
    }

    /// The project's functions, at start and after each reload: cgroups kept for functions that
    /// are gone, or for an old `memory`, are removed (not kept until Flint stops), and each
    /// function that starts from standbys gets one for its first instance, too.
    public func project(_ functions: [FunctionManifest]) {
        guard let cgroups else { return }
        cgroups.keepOnly(Dictionary(functions.map { ($0.name, $0.memoryBytes) }) { first, _ in first })
        for function in functions where Self.startsFromStandbys(function) && refusal(of: function) == nil {
            cgroups.prepareStandby(function: function.name, memoryBytes: function.memoryBytes)
        }
    }

    /// One handler process's isolation: its cgroup (made now), credentials and sandbox. Apply it
    /// to the process's `SpawnOptions`, and `finish` it once the process has been reaped.
    ///
    /// A function that may (`startsFromStandbys`) gets the cgroup of its standby thread when one is
    /// ready, to spawn from (`InstanceIsolation.spawnBlocking`), and another is prepared after.
    func instance(of function: FunctionManifest, paths: InstancePaths) throws(SystemError) -> InstanceIsolation {
        let standby = Self.startsFromStandbys(function)
        var sandbox: BubblewrapCommand?
        if function.isolation == .sandbox {
            // refusal(of:) keeps such a function from starting; this only guards callers that skip it.
            guard let bubblewrap else { throw SystemError("bwrap", errno: ENOENT) }
            sandbox = BubblewrapCommand(bwrap: bubblewrap, hiddenPaths: hiddenPaths, network: function.network)
        }
        let acquired = try cgroups?.acquire(function: function.name, memoryBytes: function.memoryBytes, standby: standby)
        var prepareNextStandby: (@Sendable () -> Void)?
        if standby, let cgroups {
            let (name, memoryBytes) = (function.name, function.memoryBytes)
            prepareNextStandby = { cgroups.instanceStarted(function: name, memoryBytes: memoryBytes) }
        }
        return InstanceIsolation(
            paths: paths, credentials: user?.credentials, sandbox: sandbox, cgroup: acquired?.0, standby: acquired?.1,
            prepareNextStandby: prepareNextStandby, pool: cgroups
        )
    }

    /// Whether a function's instances may be spawned by a `CgroupStandby` thread. Not sandboxed
    /// ones: bubblewrap's `--die-with-parent` is the parent *thread*'s death, and the standby
    /// thread ends right after the spawn.
    static func startsFromStandbys(_ function: FunctionManifest) -> Bool {
        function.isolation != .sandbox
    }
}
