public import FlintCore
public import Logging
import NIOCore
import NIOPosix
import Synchronization
import Glibc

/// Runs `lambda` functions: warm instances that speak the AWS Lambda Runtime API, each on a
/// loopback port of its own, reused while warm.
///
/// An instance starts on demand (scale from zero), takes one invocation at a time, and stops after
/// the function's `idle` (scale to zero). One that crashes, fails to start, or runs past its
/// deadline is replaced by a fresh one for the next invocation. At most the function's
/// `concurrency` instances are alive at once. Instances start like exec handlers: own session and
/// process group, rlimits, a clean environment (the Lambda variables, the manifest's `env`,
/// `FLINT_FUNCTION`), with the function's directory as working directory and `LAMBDA_TASK_ROOT`.
public final class LambdaRunner: Sendable {
    private let context: InstanceContext
    private let group: any EventLoopGroup
    private let pools = Mutex<[String: FunctionInstancePool]>([:])

    /// - Parameters:
    ///   - workRoot: where each instance gets a scratch directory (`HOME`, `TMPDIR`), removed when
    ///     it stops; created (mode 0700) on first use when missing.
    ///   - settings: limits and the region; `outputLimit` also bounds `/response` and `/error`
    ///     bodies (413 beyond it), `killGrace` the time between SIGTERM and SIGKILL on a timeout.
    ///   - account: the account in the ARN runtimes are given.
    ///   - isolation: the handler user and cgroups (`HandlerIsolation.prepare`): each instance runs
    ///     as that user, in a cgroup of its own for its whole life.
    ///   - logger: for the runner's own events (metadata `flint.function`, `flint.instance`).
    ///   - logHub: gets each line an instance writes while an invocation runs (`flint logs -f`).
    public init(
        workRoot: String, settings: ExecRunnerSettings = .init(), account: String = "000000000000",
        isolation: HandlerIsolation = .processOnly, logger: Logger, logHub: LogHub? = nil
    ) {
        precondition(settings.logTailLimit > 0, "ExecRunnerSettings.logTailLimit must be positive")
        context = InstanceContext(
            workRoot: workRoot, settings: settings, account: account, host: HostLimits.current(), isolation: isolation,
            logHub: logHub, logger: logger
        )
        group = MultiThreadedEventLoopGroup.singleton
        // The instances' scratch directories must be reachable by the handler user.
        isolation.openWorkRoot(workRoot, logger: logger)
    }

    /// Runs one invocation on a warm instance, or a new one. Never throws: every failure is an
    /// outcome in the record. A cold start's record says so, with its init duration.
    public func run(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        let pool = self.pool(function.name)
        // A caller on one of the group's event loops (an HTTP request) keeps to it: a new instance
        // listens there, and an idle one there is taken first. `any()` is the caller's loop when
        // it runs on one of the group's, else the group's next.
        let loop = group.any()
        let callerLoop = loop.inEventLoop ? loop : nil
        while true {
            let instance: LambdaInstance
            let isColdStart: Bool
            switch await pool.acquire(for: function, preferring: callerLoop) {
            case .closed:
                return .notRun(request, function: function, outcome: .killed, message: "killed: Flint is shutting down")
            case .warm(let warm):
                (instance, isColdStart) = (warm, false)
            case .cold:
                guard !Task.isCancelled else {
                    pool.abandonSlot()
                    return .notRun(request, function: function, outcome: .killed, message: "killed: invocation cancelled before it started")
                }
                instance = LambdaInstance(
                    function: function, context: context, eventLoop: loop, onExit: { pool.exited($0) },
                    retire: { pool.retireIfIdle($0) }
                )
                pool.started(instance)
                instance.start()
                isColdStart = true
            }
            switch await instance.invoke(request, isColdStart: isColdStart) {
            case .unavailable where isColdStart:
                // A new instance answers its first invocation even when it failed to start, so this
                // does not happen; were it to, starting another one could loop for ever.
                return .notRun(request, function: function, outcome: .error, message: "init failed: the instance ended before taking the invocation")
            case .unavailable:
                // It exited between its last invocation and this one: the next acquire replaces it.
                continue
            case .finished(let result, let reusable):
                if reusable {
                    // An idle instance stops by itself after the function's `idle`.
                    if case .stop = pool.release(instance) { _ = instance.stop() }
                }
                return result
            }
        }
    }

    /// Instances of `function` alive right now (idle or busy).
    public func instances(of function: String) -> Int {
        pools.withLock { $0[function] }?.liveCount ?? 0
    }

    /// Retires every instance alive now, for a reload: idle ones stop at once, busy ones once
    /// their invocation has ended. Later invocations start new instances, which count against the
    /// function's `concurrency` together with the retired ones until those have exited.
    public func renew() {
        let all = pools.withLock { Array($0.values) }
        for instance in all.flatMap({ $0.renew() }) {
            _ = instance.stop()
        }
    }

    /// Stops every instance and returns once their processes have exited. Invocations asked for
    /// afterwards end at once as `killed`.
    public func shutdown() async {
        let all = pools.withLock { Array($0.values) }
        // Every instance is told to stop before any is waited for: they exit together.
        let exits = all.flatMap { $0.close() }.map { $0.stop() }
        for exit in exits {
            try? await exit.get()
        }
    }

    private func pool(_ function: String) -> FunctionInstancePool {
        pools.withLock { pools in
            if let pool = pools[function] { return pool }
            let pool = FunctionInstancePool()
            pools[function] = pool
            return pool
        }
    }
}
