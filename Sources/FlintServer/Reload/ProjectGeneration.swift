internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import FlintStore
internal import FlintTriggers
internal import Foundation
internal import Hummingbird
internal import Logging
internal import ServiceLifecycle

/// Everything that follows from one version of the project's functions and triggers: the
/// dispatcher and what feeds it (bus consumer, schedules, bucket watcher) and the HTTP routes. A reload builds the next generation beside the current one, switches the listener
/// over, and stops this one: its intake first, then its running invocations drain.
final class ProjectGeneration: Sendable {
    let project: Project
    /// When each function's definition last changed: at this generation's start, or kept from the
    /// generation it replaces for a function whose `function.yaml` a reload left as it was.
    let functionsModifiedAt: [String: Date]
    let dispatcher: Dispatcher
    let consumer: BusConsumer
    let bucketWatching: BucketWatching
    let bucketWatcher: BucketWatcher?
    let responder: any HTTPResponder<FlintRequestContext>
    /// Its long-running parts, in start order; they stop in reverse.
    let services: [any Service]
    /// Messages left waiting for triggers (or functions) the project no longer has, one line
    /// each: said at start-up and on reload, rather than stranded silently.
    let stranded: [String]

    /// Builds (does not start) the generation for `project`.
    ///
    /// - Parameter previous: the generation this one replaces; its concurrency slots carry over.
    init(project: Project, core: DaemonCore, replacing previous: ProjectGeneration?) throws {
        self.project = project
        let now = Date()
        functionsModifiedAt = project.functions.mapValues { function in
            guard let previous, previous.project.functions[function.name] == function else { return now }
            return previous.functionsModifiedAt[function.name] ?? now
        }
        // Everything that can fail comes first: building the dispatcher hands the previous
        // generation's slots over to it, and a refused reload must leave that generation as it was.
        let bucketWatching = try BucketWatching(project: project, causation: core.outputCausation, logger: core.logger)
        let bucketEventStarter = BucketEventStarter()
        let bucketWatcher = try bucketWatching.watcher(
            index: ObjectIndex(database: core.database), identity: core.identity, metrics: core.metrics, starter: bucketEventStarter
        )
        try bucketWatching.createOutputBuckets()
        let topology = BusTopology(project: project)
        // Last of those: a refused reload must leave the running generation's subscriptions as they are.
        try core.bus.register(topology, retireOthers: true)
        stranded = Self.stranded(bus: core.bus, logger: core.logger)

        let console = core.console
        let logHub = core.logHub
        let metrics = core.metrics
        let dispatcher = Dispatcher(
            functions: project.functions.values,
            executor: LogTrackingExecutor(hub: core.logHub, inner: RuntimeRouter(
                exec: OutputCollectingExecutor(
                    inner: ExecRunnerExecutor(runner: core.runner), scratchRoot: core.files.outputsRoot,
                    bucketsRoot: project.bucketsDirectory, causation: bucketWatching.causation,
                    watchedBuckets: Set(bucketWatching.watchedBuckets), logger: core.logger
                ),
                lambda: LambdaRunnerExecutor(runner: core.lambdaRunner)
            )),
            recorder: LedgerRecorder(writer: core.writer),
            settings: .init(hostConcurrency: core.hostConcurrency),
            logger: core.logger,
            replacing: previous?.dispatcher,
            observer: { result in
                console(InvocationConsoleLine.format(result.record))
                logHub.end(invocation: result.record.id)
                metrics.record(result.record)
            }
        )
        let busSettings = project.config.bus
        let consumer = BusConsumer(
            subscriptions: BusSubscriptions.of(topology), dispatcher: dispatcher, source: core.bus,
            settings: .init(
                retry: RetryPolicy(base: busSettings.retryBase, max: busSettings.retryMax),
                identity: .init(region: core.identity.region, account: core.identity.account), fanOutBatch: Bus.fanOutBatch
            ),
            logger: core.logger
        )
        bucketEventStarter.attach(consumer)
        let schedules = project.triggers.compactMap { trigger -> ScheduleSource.Schedule? in
            guard case .schedule(let schedule) = trigger.source else { return nil }
            return ScheduleSource.Schedule(trigger: trigger.name, rule: schedule.rule)
        }
        let scheduleSource = ScheduleSource(
            schedules: schedules, sink: BusScheduleSink(bus: core.bus, identity: core.identity),
            logger: core.logger
        )
        self.dispatcher = dispatcher
        self.consumer = consumer
        self.bucketWatching = bucketWatching
        self.bucketWatcher = bucketWatcher
        self.responder = Self.responder(
            project: project, topology: topology, core: core, dispatcher: dispatcher, functionsModifiedAt: functionsModifiedAt)
        services = [
            DispatcherService(dispatcher: dispatcher),
            BusConsumerService(consumer: consumer),
            ScheduleService(source: scheduleSource),
            BucketWatcherService(watcher: bucketWatcher),
        ]
    }

    /// One line per subscription the project no longer has that still has messages waiting.
    private static func stranded(bus: Bus, logger: Logger) -> [String] {
        do {
            return try bus.waitingForRetiredSubscriptions().map { subscription, count in
                let what = BusTopology.describeSubscription(subscription)
                return "\(count) message(s) wait for \(what), which the project no longer has: they stay in the database, "
                    + "and are delivered once it is back under that name (restore it, then flint reload); to drop them instead: "
                    + "DELETE FROM deliveries WHERE subscription = '\(subscription)' AND state = 'ready' (docs/operations.md)"
            }
        } catch {
            logger.warning("could not count the messages waiting for removed triggers: \(error)")
            return []
        }
    }

    /// Trigger routes first, then Flint's own API.
    private static func responder(
        project: Project, topology: BusTopology, core: DaemonCore, dispatcher: Dispatcher, functionsModifiedAt: [String: Date]
    ) -> any HTTPResponder<FlintRequestContext> {
        let asyncInvoker = AsyncInvoker(bus: core.bus)
        let registered = RegisteredRoutes()
        let router = RecordingRouter(router: Router(context: FlintRequestContext.self), registered: registered)
        router.add(middleware: NotFoundBodyMiddleware(registered: registered))
        LambdaInvokeRoutes(
            dispatcher: dispatcher, identity: core.identity, authentication: LambdaAPIAuthentication(token: core.apiToken),
            modifiedAt: functionsModifiedAt,
            asyncInvoker: asyncInvoker
        ).register(on: router)
        AdminRoutes(
            dispatcher: dispatcher, ledger: core.ledger, writer: core.writer, triggers: project.triggers, adminToken: core.adminToken,
            bus: core.bus, pricing: project.config.pricing,
            ledgerRetention: project.config.ledger.retention
        ).register(on: router)
        ReloadRoutes(requests: core.reloadRequests)
            .register(on: router.group("/v1").add(middleware: BearerTokenMiddleware(token: core.adminToken)))
        FunctionLogRoutes(
            hub: core.logHub, dispatcher: dispatcher, ledger: core.ledger, writer: core.writer, bus: core.bus, adminToken: core.adminToken
        ).register(on: router)
        MetricsRoutes(
            metrics: core.metrics, dispatcher: dispatcher, bus: core.bus, subscriptions: BusSubscriptionLabels.of(topology),
            checkpointer: core.checkpointer, requiredToken: core.apiToken
        ).register(on: router)
        let gateway = TriggerGateway(
            routes: TriggerRouteTable(triggers: project.triggers), dispatcher: dispatcher, adminToken: core.adminToken,
            identity: core.identity, asyncInvoker: asyncInvoker, logger: core.logger
        )
        return FlintResponder(gateway: gateway, fallback: router.router.buildResponder())
    }

    /// Wakes the bus consumer: something may have become claimable.
    func wake() { consumer.wake() }

    /// The daemon is stopping: the bus consumer starts nothing more (its services stop later).
    func stopClaiming() { consumer.pause() }
}
