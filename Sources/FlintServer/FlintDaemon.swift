public import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import FlintStore
internal import FlintTriggers
internal import Foundation
internal import Hummingbird
public import Logging
internal import NIOCore
internal import ServiceLifecycle
internal import UnixSignals
#if canImport(Glibc)
internal import Glibc
#endif

/// The composition root: wires every part of a project into one service group and runs it until
/// SIGINT or SIGTERM, then stops intake, drains in-flight invocations, and commits the ledger.
public struct FlintDaemon: Sendable {
    public let project: Project
    public let listen: ListenAddress
    public let logger: Logger
    /// Where the human-readable lines go (stdout for `flint up`).
    public let console: @Sendable (String) -> Void

    public init(project: Project, listen: ListenAddress, logger: Logger, console: @escaping @Sendable (String) -> Void) {
        self.project = project
        self.listen = listen
        self.logger = logger
        self.console = console
    }

    /// Starts, serves until a shutdown signal (or cancellation), and stops cleanly.
    public func run() async throws {
        FreeMemoryRetention.keepFreedMemoryForReuse()
        if let problem = Self.openTriggersProblem(listen: listen, triggers: project.triggers) {
            throw DaemonError.startup(problem)
        }

        // First, while descriptors are few: libinotifytools waits with select(), blind above 1023.
        // Without bucket triggers a failure only matters to a reload that adds one (it says so then).
        do {
            try InotifySupport.initialize()
        } catch where project.triggers.contains(where: { $0.kind == .bucket }) {
            throw DaemonError.startup("bucket triggers cannot run: \(error)")
        } catch {
            logger.debug("libinotifytools is unavailable (\(error)); a reload that adds a bucket trigger will be refused")
        }

        let files = DaemonFiles(project: project)
        do throws(DirectoryMaker.Failure) {
            try DirectoryMaker.make(files.directory, mode: 0o711)
        } catch {
            throw DaemonError.startup(
                "cannot use the data directory \(files.directory): \(error); run flint up as a user who can write there, or set data: in flint.yaml to another directory")
        }
        // Before anything that touches a running daemon's files; held until this process ends.
        guard let lock = try DaemonLock.acquire(at: files.lock) else {
            // The lock is held, so only the pid tells whether the file is the holder's: one whose
            // process is gone names no daemon, and the holder has not written its own yet.
            let running = DaemonInfo.read(from: files.daemonInfo).flatMap { $0.isAlive ? $0 : nil }
                .map { "pid \($0.pid), \($0.url)" } ?? "still starting, or unable to write \(files.daemonInfo)"
            throw DaemonError.startup(
                "Flint is already running for this project (\(running)); stop it first, or use another data directory")
        }
        // Left by a daemon that was killed: it names a process that is gone (whose pid may be
        // another program's by now). Removed at once, so that it never outlives this start,
        // even if this daemon cannot write its own (a full disk).
        if unlink(files.daemonInfo) != 0, errno != ENOENT {
            logger.warning("could not remove the stale \(files.daemonInfo): \(String(cString: strerror(errno)))")
        }
        defer { withExtendedLifetime(lock) {} }
        let adminToken = try AdminToken.loadOrCreate(at: files.adminToken)
        if let shared = DaemonFiles.sharedWorkRoot(for: files.directory), files.workRoot != shared {
            logger.warning("\(shared) belongs to another user, who may have made it to stop Flint from starting; handlers work in \(files.workRoot) instead (on disk, not in memory: each invocation costs ~0.1 ms more). Remove \(shared) to use it again")
        }
        try Self.recreateEmpty(files.workRoot)
        try Self.recreateEmpty(files.outputsRoot)
        defer {
            try? FileManager.default.removeItem(atPath: files.daemonInfo)
            // Handlers wrote in them (as the handler user): removed by descriptor, never through a path.
            try? HandlerTree.remove(files.workRoot)
            try? HandlerTree.remove(files.outputsRoot)
        }
        let database = try FlintDatabase(path: files.database, durability: project.config.bus.durability == .full ? .full : .normal)
        // No commit of the daemon's waits for a checkpoint: a thread of its own runs them.
        let checkpointer = try WALCheckpointer.start(for: database) { [logger] problem in logger.warning("\(problem)") }
        defer { checkpointer.stop() }
        let isolation = try DaemonIsolation.prepare(
            project: project, files: files, processes: ExecRunnerSettings().processes, logger: self.logger
        )
        let ledger = InvocationLedger(database: database)
        let bus = Bus(database: database)
        let released = try bus.releaseAllLeases()
        if released > 0 {
            console(released == 1
                ? "flint: 1 delivery was running when Flint last stopped; it will be delivered again"
                : "flint: \(released) deliveries were running when Flint last stopped; they will be delivered again")
        }
        let logger = self.logger
        let writer = LedgerWriter(ledger: ledger, onError: { error, lost in
            logger.error("could not commit \(lost) invocation record(s) to the ledger: \(error)")
        }, onRetry: { error, waiting, delay in
            logger.warning("could not commit \(waiting) invocation record(s) to the ledger: \(error); retrying in \(delay) (they are kept)")
        }, onRefused: { refusal in
            logger.warning("\(refusal)")
        })
        let logHub = LogHub()
        let identity = LambdaIdentity()
        let core = DaemonCore(
            listen: listen, files: files, adminToken: adminToken, identity: identity, database: database,
            checkpointer: checkpointer, ledger: ledger,
            writer: writer, bus: bus, isolation: isolation,
            runner: ExecRunner(workRoot: files.workRoot, isolation: isolation, logger: logger, logHub: logHub),
            lambdaRunner: LambdaRunner(
                workRoot: files.workRoot, account: identity.account, isolation: isolation, logger: logger, logHub: logHub),
            logHub: logHub, metrics: DaemonMetrics(),
            hostConcurrency: project.config.effectiveConcurrency(processors: ProcessInfo.processInfo.activeProcessorCount),
            reloadRequests: ReloadRequests(), logger: logger, console: console
        )
        isolation.project(Array(project.functions.values))
        let first = try ProjectGeneration(project: project, core: core, replacing: nil)
        for line in first.stranded { console("flint: warning: \(line)") }
        let responder = CurrentResponder(first.responder)
        let reloader = ProjectReloader(first: first, core: core, responder: responder, requests: core.reloadRequests)
        // Commits that may make bus work claimable wake the consumer: the daemon's own as they
        // commit, any other process's (flint publish, a plain sqlite3 INSERT) through the WAL.
        let monitor = try DatabaseChangeMonitor.wakingForBusChanges(of: database, onDatabaseGone: { [logger] in
            logger.critical(
                "the database \(files.database) was deleted or moved away while Flint runs: Flint goes on with the file it opened, which nothing else reaches any more (flint publish refuses to make a new one while this daemon runs); what it records from now on is lost when it stops. Restart flint up")
        }) { reloader.generation.wake() }
        monitor.start()
        defer { monitor.stop() }

        let app = Application(
            responder: responder,
            server: .flintHTTP1(limit: .fromDescriptorLimit(logger: logger)),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "Flint"),
            onServerRunning: { channel in
                // Ready means every bucket directory is watched, too.
                let watched = await first.bucketWatcher?.watching() ?? []
                await announce(
                    boundPort: channel.localAddress?.port ?? listen.port, files: files,
                    buckets: first.bucketWatching.watchedBuckets, watched: Set(watched), isolation: isolation)
            },
            logger: Self.serverLogger(logger)
        )

        // Shutdown runs in reverse: intake first (HTTP, retention, then the project's schedules,
        // bucket watcher and bus consumer), then the dispatcher drains (what still runs after
        // drain_timeout is killed), then the warm instances stop, then the ledger commits.
        let busSettings = project.config.bus
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: LedgerWriterService(writer: writer)),
                    .init(service: LambdaInstancesService(runner: core.lambdaRunner)),
                    .init(service: reloader),
                    .init(service: RetentionService(
                        bus: bus, ledger: ledger, busRetention: busSettings.retention,
                        ledgerRetention: project.config.ledger.retention, interval: busSettings.pruneInterval, logger: logger)),
                    .init(service: app),
                    // After the server, so its timer runs while the server waits for its requests.
                    .init(service: DrainDeadlineService(
                        drainTimeout: project.config.drainTimeout, execRunner: core.runner, lambdaRunner: core.lambdaRunner,
                        running: { reloader.generation.dispatcher.running }, logger: logger, console: console)),
                    // Last, so it stops first: nothing more is started from the bus, and the
                    // `flint logs -f` streams the server would wait for (they never end by
                    // themselves) end.
                    .init(service: ShutdownBeginsService {
                        reloader.beginStopping()
                        logHub.close()
                    }),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        // The handlers have ended by the time the group has (the dispatcher drains, then the warm
        // instances stop).
        defer { isolation.close() }
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw DaemonError.startup("cannot listen on \(listen): the address is already in use; stop what uses it, or pass --listen with another port (port 0 picks a free one)")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw DaemonError.startup("cannot listen on \(listen): this machine has no such address; use 127.0.0.1 or one of its own addresses")
        } catch let error as SocketAddressError.UnknownHost {
            throw DaemonError.startup("cannot listen on \(listen): the host name does not resolve (\(error)); use an IP address such as 127.0.0.1, or localhost")
        }
        console("flint: stopped")
    }

    private func announce(boundPort: Int, files: DaemonFiles, buckets: [String], watched: Set<String>, isolation: HandlerIsolation) async {
        let info = DaemonInfo(
            pid: getpid(), host: listen.host, port: boundPort, startedAt: Date(), workRoot: files.workRoot,
            processStart: ProcessStart.ticks(of: getpid())
        )
        do {
            try info.write(to: files.daemonInfo)
        } catch {
            logger.error("could not write \(files.daemonInfo): \((error as NSError).localizedDescription); other flint commands will not find this daemon until it is restarted with room to write it")
        }
        console("flint: listening on \(info.url)")
        console("flint: project \(project.root)")
        console("flint: \(Self.describeConcurrency(project.config, processors: ProcessInfo.processInfo.activeProcessorCount))")
        for function in project.functions.values.sorted(by: { $0.name < $1.name }) {
            console("  function \(Self.describe(function))")
            console("  isolation \(function.name)  \(isolation.summary(of: function))")
        }
        for trigger in project.triggers {
            console("  trigger \(trigger.name)  \(Self.describe(trigger))  -> \(trigger.function)")
        }
        for bucket in buckets {
            let unwatched = watched.contains(bucket) ? "" : "  NOT WATCHED: its triggers will not fire (the log says why)"
            console("  bucket \(bucket)  \(project.bucketsDirectory)/\(bucket)\(unwatched)")
        }
        console("flint: ready; one line per invocation follows (Ctrl-C stops)")
    }

    static func describeConcurrency(_ config: FlintConfig, processors: Int) -> String {
        let cap = config.effectiveConcurrency(processors: processors)
        let origin = config.concurrency == nil ? "4 per processor, \(processors) processor(s); set concurrency in flint.yaml to change it" : "concurrency in flint.yaml"
        return "at most \(cap) handler process(es) at once across all functions (\(origin))"
    }

    /// Why these triggers cannot be served on `listen`: a listener others can reach must not have
    /// routes anybody may call. Nil when they can.
    public static func openTriggersProblem(listen: ListenAddress, triggers: [TriggerDefinition]) -> String? {
        guard !listen.isLoopback else { return nil }
        let open = triggers.filter { if case .http(let http) = $0.source { http.auth == .none } else { false } }
        guard !open.isEmpty else { return nil }
        return "refusing to listen on \(listen): it is not a loopback address and these triggers have auth: none: "
            + open.map { "\($0.name) (\($0.location))" }.joined(separator: ", ")
            + ". Set auth: token on them, or listen on 127.0.0.1."
    }

    static func describe(_ function: FunctionManifest) -> String {
        "\(function.name)  \(function.runtime.rawValue)  \(function.command.joined(separator: " "))  timeout \(DurationText.format(function.timeout))  memory \(ByteSizeText.format(function.memoryBytes))  concurrency \(function.concurrency)"
    }

    static func describe(_ trigger: TriggerDefinition) -> String {
        switch trigger.source {
        case .http(let http): "http \(http.method) \(http.path) (auth: \(http.auth.rawValue))"
        case .bucket(let bucket):
            "bucket \(bucket.bucket) (\(bucket.events.map(\.rawValue).joined(separator: ", "))"
                + (bucket.prefix.isEmpty ? "" : ", prefix \(bucket.prefix)") + (bucket.suffix.isEmpty ? "" : ", suffix \(bucket.suffix)") + ")"
        case .queue(let queue): "queue \(queue.topic) (batch \(queue.batch)\(queue.window > .zero ? ", window \(DurationText.format(queue.window))" : ""))"
        case .schedule(let schedule):
            switch schedule.rule {
            case .every(let interval): "schedule every \(DurationText.format(interval)) (UTC)"
            case .cron(let expression): "schedule cron \"\(expression)\" (UTC)"
            }
        }
    }

    /// The HTTP server's logger: at the default level, its "Server started and listening" line
    /// would repeat Flint's own `listening on` line; a lower level asked for keeps all of it.
    static func serverLogger(_ logger: Logger) -> Logger {
        var server = logger
        if server.logLevel == .info { server.logLevel = .notice }
        return server
    }

    /// Scratch directories (working directories, outputs) start empty and private (mode 0700)
    /// before serving: what a daemon that was killed left in one is removed, and one missing is
    /// made. The work root may sit in a directory everyone can write to (/dev/shm) under a name
    /// others can guess, so a directory another user made there is refused, never adopted
    /// (handlers' directories are chowned in it), and one of Flint's own is emptied in place,
    /// never removed and made again, which would leave the name free for a moment.
    static func recreateEmpty(_ path: String) throws {
        // attributesOfItem does not follow a symbolic link (lstat).
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
            let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value
            if attributes[.type] as? FileAttributeType == .typeDirectory, let owner, owner != geteuid() {
                throw DaemonError.startup(
                    "\(path) belongs to uid \(owner), not to Flint's uid \(geteuid()): another user made it, and Flint will not use it; remove it and start again")
            }
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                // What a crashed daemon's handlers left in it is removed by descriptor: one of
                // them may still run and swap a directory for a link meanwhile.
                try HandlerTree.empty(path)
                try Self.makePrivate(emptied: path)
                return
            } else {
                // A symbolic link (or a file) is removed itself, never followed.
                try FileManager.default.removeItem(atPath: path)
            }
        }
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        guard mkdir(path, 0o700) == 0 else {
            let error = errno
            let reason = String(cString: strerror(error))
            // Only a directory that appeared since the removal above is something to remove.
            let fix = error == EEXIST
                ? "something else made it meanwhile; remove it and start again"
                : "check that this user (uid \(geteuid())) can write \(parent)"
            throw DaemonError.startup("cannot make \(path): \(reason); \(fix)")
        }
    }

    /// Makes the directory at `path` (never followed through a link) mode 0700, through its
    /// descriptor, and checks that it is still empty: a handler of the killed daemon that still
    /// runs could have written in it while it was emptied.
    private static func makePrivate(emptied path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw DaemonError.startup("cannot open \(path): \(String(cString: strerror(errno))); remove it and start again")
        }
        defer { close(fd) }
        guard fchmod(fd, 0o700) == 0 else {
            throw DaemonError.startup("cannot make \(path) private (mode 0700): \(String(cString: strerror(errno))); remove it and start again")
        }
        switch DirectoryEntries.of(directory: fd) {
        case .success(let entries) where entries.isEmpty:
            return
        case .success:
            throw DaemonError.startup(
                "\(path) was written in while Flint emptied it: a handler of the daemon that ran before may still be running; stop it, then start again")
        case .failure(let failure):
            throw DaemonError.startup("cannot list \(path): \(failure.call): \(String(cString: strerror(failure.code))); remove it and start again")
        }
    }
}
