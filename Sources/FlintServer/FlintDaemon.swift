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
        let httpTriggers = project.triggers.filter { $0.kind == .http }
        if !listen.isLoopback {
            let open = httpTriggers.filter { if case .http(let http) = $0.source { http.auth == .none } else { false } }
            guard open.isEmpty else {
                throw DaemonError.startup(
                    "refusing to listen on \(listen): it is not a loopback address and these triggers have auth: none: "
                        + open.map { "\($0.name) (\($0.location))" }.joined(separator: ", ")
                        + ". Set auth: token on them, or listen on 127.0.0.1.")
            }
        }

        // First, while descriptors are few: libinotifytools waits with select(), blind above 1023.
        let bucketWatching = try BucketWatching(project: project, logger: logger)

        let files = DaemonFiles(project: project)
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        if let running = DaemonInfo.read(from: files.daemonInfo), running.isAlive {
            throw DaemonError.startup(
                "Flint is already running for this project (pid \(running.pid), \(running.url)); stop it first, or use another data directory")
        }
        let adminToken = try AdminToken.loadOrCreate(at: files.adminToken)
        try Self.recreateEmpty(files.workRoot)
        try Self.recreateEmpty(files.outputsRoot)
        defer {
            try? FileManager.default.removeItem(atPath: files.daemonInfo)
            try? FileManager.default.removeItem(atPath: files.workRoot)
            try? FileManager.default.removeItem(atPath: files.outputsRoot)
        }
        try bucketWatching.createOutputBuckets()
        let database = try FlintDatabase(path: files.database, durability: project.config.bus.durability == .full ? .full : .normal)
        let isolation = try DaemonIsolation.prepare(
            project: project, files: files, processes: ExecRunnerSettings().processes, logger: self.logger
        )
        let ledger = InvocationLedger(database: database)
        let bus = Bus(database: database)
        let topology = BusTopology(project: project)
        try bus.register(topology, retireOthers: true)
        let released = try bus.releaseAllLeases()
        if released > 0 {
            console("flint: \(released) deliveries were running when Flint last stopped; they will be delivered again")
        }
        let logger = self.logger
        let writer = LedgerWriter(ledger: ledger, onError: { error, lost in
            logger.error("could not commit \(lost) invocation record(s) to the ledger: \(error)")
        }, onRefused: { refusal in
            logger.warning("\(refusal)")
        })
        let logHub = LogHub()
        let metrics = DaemonMetrics()
        let runner = ExecRunner(workRoot: files.workRoot, isolation: isolation, logger: logger, logHub: logHub)
        let console = self.console
        let dispatcher = Dispatcher(
            functions: project.functions.values,
            executor: LogTrackingExecutor(hub: logHub, inner: OutputCollectingExecutor(
                inner: ExecRunnerExecutor(runner: runner), scratchRoot: files.outputsRoot,
                bucketsRoot: project.bucketsDirectory, causation: bucketWatching.causation,
                watchedBuckets: Set(bucketWatching.watchedBuckets), logger: logger
            )),
            recorder: LedgerRecorder(writer: writer),
            logger: logger,
            observer: { result in
                console(InvocationConsoleLine.format(result.record))
                logHub.end(invocation: result.record.id)
                metrics.record(result.record)
            }
        )
        let identity = LambdaIdentity()
        let busSettings = project.config.bus
        let consumer = BusConsumer(
            subscriptions: BusSubscriptions.of(topology), dispatcher: dispatcher, source: bus,
            settings: .init(
                retry: RetryPolicy(base: busSettings.retryBase, max: busSettings.retryMax),
                identity: .init(region: identity.region, account: identity.account)
            ),
            logger: logger
        )
        // Commits by any process (flint publish, a plain sqlite3 INSERT) wake the consumer.
        let monitor = try DatabaseChangeMonitor(databasePath: files.database) { consumer.wake() }
        monitor.start()
        defer { monitor.stop() }
        let schedules = project.triggers.compactMap { trigger -> ScheduleSource.Schedule? in
            guard case .schedule(let schedule) = trigger.source else { return nil }
            return ScheduleSource.Schedule(trigger: trigger.name, rule: schedule.rule)
        }
        let scheduleSource = ScheduleSource(
            schedules: schedules, sink: BusScheduleSink(bus: bus, identity: identity, wake: { consumer.wake() }), logger: logger
        )
        let asyncInvoker = AsyncInvoker(bus: bus, consumer: consumer)
        let bucketWatcher = try bucketWatching.watcher(index: ObjectIndex(database: database), identity: identity, metrics: metrics) { consumer.wake() }

        let router = Router(context: FlintRequestContext.self)
        router.add(middleware: NotFoundBodyMiddleware())
        LambdaInvokeRoutes(
            dispatcher: dispatcher, identity: identity, requiredToken: listen.isLoopback ? nil : adminToken, loadedAt: Date(),
            asyncInvoker: asyncInvoker
        ).register(on: router)
        AdminRoutes(
            dispatcher: dispatcher, ledger: ledger, writer: writer, triggers: project.triggers, adminToken: adminToken,
            bus: bus, consumer: consumer, pricing: project.config.pricing
        ).register(on: router)
        FunctionLogRoutes(hub: logHub, dispatcher: dispatcher, ledger: ledger, writer: writer, bus: bus, adminToken: adminToken)
            .register(on: router)
        MetricsRoutes(
            metrics: metrics, dispatcher: dispatcher, bus: bus, subscriptions: BusSubscriptionLabels.of(topology),
            requiredToken: listen.isLoopback ? nil : adminToken
        ).register(on: router)
        let gateway = TriggerGateway(
            routes: TriggerRouteTable(triggers: project.triggers), dispatcher: dispatcher, adminToken: adminToken,
            identity: identity, asyncInvoker: asyncInvoker
        )
        let responder = FlintResponder(gateway: gateway, fallback: router.buildResponder())

        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "Flint"),
            onServerRunning: { channel in
                // Ready means every bucket directory is watched, too.
                await bucketWatcher?.watching()
                await announce(boundPort: channel.localAddress?.port ?? listen.port, files: files, buckets: bucketWatching.watchedBuckets, isolation: isolation)
            },
            logger: logger
        )

        // Shutdown runs in reverse: intake first (HTTP, retention, schedules, claiming from the bus),
        // then the dispatcher drains, then the ledger commits.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: LedgerWriterService(writer: writer)),
                    .init(service: DispatcherService(dispatcher: dispatcher)),
                    .init(service: BusConsumerService(consumer: consumer)),
                    .init(service: ScheduleService(source: scheduleSource)),
                    .init(service: BucketWatcherService(watcher: bucketWatcher)),
                    .init(service: RetentionService(
                        bus: bus, retention: busSettings.retention, interval: busSettings.pruneInterval, logger: logger)),
                    .init(service: app),
                    // Last, so it stops first: it ends the log streams the server would wait for.
                    .init(service: LogHubService(hub: logHub)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw DaemonError.startup("cannot listen on \(listen): the address is already in use; stop what uses it, or pass --listen with another port (port 0 picks a free one)")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw DaemonError.startup("cannot listen on \(listen): this machine has no such address; use 127.0.0.1 or one of its own addresses")
        }
        console("flint: stopped")
    }

    private func announce(boundPort: Int, files: DaemonFiles, buckets: [String], isolation: HandlerIsolation) async {
        let info = DaemonInfo(pid: getpid(), host: listen.host, port: boundPort, startedAt: Date(), workRoot: files.workRoot)
        do {
            try info.write(to: files.daemonInfo)
        } catch {
            logger.error("could not write \(files.daemonInfo): \(error); other flint commands will not find this daemon")
        }
        console("flint: listening on \(info.url)")
        console("flint: project \(project.root)")
        for function in project.functions.values.sorted(by: { $0.name < $1.name }) {
            console("  function \(function.name)  \(function.runtime.rawValue)  \(function.command.joined(separator: " "))  timeout \(DurationText.format(function.timeout))  memory \(ByteSizeText.format(function.memoryBytes))  concurrency \(function.concurrency)")
            console("  isolation \(function.name)  \(isolation.summary(of: function))")
        }
        for trigger in project.triggers {
            console("  trigger \(trigger.name)  \(Self.describe(trigger))  -> \(trigger.function)")
        }
        for bucket in buckets {
            console("  bucket \(bucket)  \(project.bucketsDirectory)/\(bucket)")
        }
        console("flint: ready; one line per invocation follows (Ctrl-C stops)")
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

    /// Scratch directories (working directories, outputs) left by a daemon that was killed are
    /// removed before serving, and made again, empty.
    static func recreateEmpty(_ path: String) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            try manager.removeItem(atPath: path)
        }
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
