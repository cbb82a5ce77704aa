internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import FlintTriggers
internal import Foundation
internal import ServiceLifecycle
internal import Synchronization
internal import UnixSignals

/// Runs the current project generation, and loads the project again on SIGHUP or `POST
/// /v1/reload`: a valid change becomes the next generation while the listener keeps serving; an
/// invalid one is refused with the errors `flint validate` prints, and the running configuration
/// stays.
final class ProjectReloader: Service, Sendable {
    private let core: DaemonCore
    private let responder: CurrentResponder
    private let requests: ReloadRequests
    private let state: Mutex<State>

    private struct State {
        var generation: ProjectGeneration
        /// The daemon began to stop: no generation is installed any more.
        var stopping = false
    }

    init(first: ProjectGeneration, core: DaemonCore, responder: CurrentResponder, requests: ReloadRequests) {
        self.core = core
        self.responder = responder
        self.requests = requests
        state = Mutex(State(generation: first))
    }

    /// The generation serving now.
    var generation: ProjectGeneration { state.withLock { $0.generation } }

    /// The daemon begins to stop: the current generation claims nothing more from the bus, and a
    /// reload asked for meanwhile (a SIGHUP during the drain) is answered `stopping`: a new
    /// generation's consumer would start what the stop holds back.
    func beginStopping() {
        let current = state.withLock { state -> ProjectGeneration in
            state.stopping = true
            return state.generation
        }
        current.stopClaiming()
    }

    func run() async throws {
        // Trapped first thing: SIGHUP's default action would end the daemon.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await withThrowingDiscardingTaskGroup { group in
            var running = Self.serviceGroup(for: generation, core: core)
            let first = running
            group.addTask { try await first.run() }
            group.addTask { [requests] in
                for await _ in hangups.cancelOnGracefulShutdown() { requests.signal() }
            }
            for await request in requests.requests.cancelOnGracefulShutdown() {
                var (next, outcome) = reload()
                guard let next else {
                    request.reply?(outcome)
                    continue
                }
                let previous = running
                running = Self.serviceGroup(for: next, core: core)
                let started = running
                group.addTask { try await started.run() }
                // The old generation's intake stops, then its running invocations drain.
                await previous.triggerGracefulShutdown()
                for warning in await Self.watchingWarnings(of: next) {
                    core.console("flint: warning: \(warning)")
                    outcome = outcome.adding(warning: warning)
                }
                request.reply?(outcome)
            }
            requests.finish()
            for await request in requests.requests { request.reply?(.stopping) }
            await running.triggerGracefulShutdown()
        }
    }

    /// How long a reload's answer waits for the new bucket watcher to watch every bucket.
    static let watchingWait = Duration.seconds(10)

    /// Waits until `generation`'s buckets exist and are watched (which waits for the old watcher
    /// to let go of libinotifytools), so that a file put right after `flint reload` returns
    /// fires, as one put after `flint up` says ready does; returns what to tell of them. Not for
    /// ever: the old watcher lets go only once its start-up scan is done, which a bucket of many
    /// changed files makes long.
    private static func watchingWarnings(of generation: ProjectGeneration) async -> [String] {
        guard let watcher = generation.bucketWatcher else { return [] }
        guard let watched = await watcher.watching(within: watchingWait) else {
            return ["the buckets of the new triggers are not watched yet: the previous watcher is still scanning "
                + "the buckets for what changed before it started; files put into them fire once they are (the log says \"watching ...\")"]
        }
        // As `flint up` lists them NOT WATCHED: a symlink, a file in its place.
        return generation.bucketWatching.watchedBuckets.filter { !watched.contains($0) }.map { bucket in
            "bucket \(bucket) is not watched, so its triggers will not fire; the daemon's log says why"
        }
    }

    private static func serviceGroup(for generation: ProjectGeneration, core: DaemonCore) -> ServiceGroup {
        ServiceGroup(configuration: .init(
            services: generation.services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: core.logger
        ))
    }

    /// Loads and checks the project; returns the next generation, now serving, or nil when the
    /// change was refused; and what to tell whoever asked.
    private func reload() -> (ProjectGeneration?, ReloadOutcome) {
        guard !state.withLock({ $0.stopping }) else { return (nil, .stopping) }
        let previous = generation
        let console = core.console
        console("flint: reloading \(previous.project.root)")
        let loaded: Project
        do {
            loaded = try ProjectLoader.load(root: previous.project.root) { HandlerUser.named($0) != nil }
        } catch {
            return (nil, refuse(error.issues.map(\.description)))
        }
        let plan = ReloadPlan(current: previous.project, loaded: loaded)
        var problems = plan.project.functions.values.sorted { $0.name < $1.name }.compactMap { core.isolation.refusal(of: $0) }
        if let open = FlintDaemon.openTriggersProblem(listen: core.listen, triggers: plan.project.triggers) { problems.append(open) }
        guard problems.isEmpty else { return (nil, refuse(problems)) }
        let next: ProjectGeneration
        do {
            next = try ProjectGeneration(project: plan.project, core: core, replacing: previous)
        } catch {
            return (nil, refuse(["\(error)"]))
        }
        let stopping = state.withLock { state -> Bool in
            state.generation = next
            return state.stopping
        }
        // The stop began while it was being built: it runs (and is stopped) as the others are,
        // but starts nothing from the bus.
        if stopping { next.stopClaiming() }
        responder.replace(with: next.responder)
        // Warm instances started from the old files stop (idle ones now, busy ones when their
        // invocation ends), still counted against their function's concurrency until they exit.
        core.lambdaRunner.renew()
        core.isolation.project(Array(plan.project.functions.values))
        core.isolation.hide(DaemonIsolation.hiddenPaths(project: plan.project, files: core.files))
        // Slots the old generation's invocations give back must wake whichever consumer is
        // current then (a later reload may have replaced this one too).
        previous.dispatcher.observeCapacity { [weak self] _ in self?.generation.wake() }
        next.wake()

        if !plan.deferredSettings.isEmpty {
            console("flint: flint.yaml: \(plan.deferredSettings.joined(separator: ", ")) changed; that applies when Flint starts next")
        }
        console("flint: reloaded: " + ReloadPlan.summary(of: plan.changes))
        for line in next.stranded { console("flint: warning: \(line)") }
        for name in plan.addedOrChangedFunctions {
            guard let function = plan.project.functions[name] else { continue }
            console("  function \(FlintDaemon.describe(function))")
            console("  isolation \(name)  \(core.isolation.summary(of: function))")
        }
        for trigger in plan.project.triggers where plan.addedOrChangedTriggers.contains(trigger.name) {
            console("  trigger \(trigger.name)  \(FlintDaemon.describe(trigger))  -> \(trigger.function)")
        }
        return (next, .reloaded(changes: plan.changes, deferredSettings: plan.deferredSettings, warnings: next.stranded))
    }

    private func refuse(_ problems: [String]) -> ReloadOutcome {
        core.console("flint: reload refused; still running the previous configuration. \(problems.count) problem(s):")
        for problem in problems { core.console("  \(problem)") }
        return .refused(problems: problems)
    }
}
