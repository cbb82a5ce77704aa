public import FlintCore
public import Logging
import Glibc

/// Runs `exec` functions: one short-lived handler process per invocation, with the event on its
/// stdin, its result on stdout and its log on stderr.
///
/// Each invocation gets a fresh working directory under `workRoot`, a clean environment, its own
/// session and process group, rlimits from the manifest and the settings, and a timeout that ends
/// the whole process group (SIGTERM, then SIGKILL after `ExecRunnerSettings.killGrace`). The process
/// is supervised on a thread of its own, never on Swift's cooperative pool.
public struct ExecRunner: Sendable {
    /// The directory holding the invocations' working directories.
    public let workRoot: String
    public let settings: ExecRunnerSettings
    /// The user, cgroups and sandbox handlers get beyond process isolation.
    public let isolation: HandlerIsolation
    let logger: Logger
    /// Where handlers' log lines go as they are written, for live followers.
    let logHub: LogHub?
    let host: HostLimits
    /// What `interruptAll` kills.
    private let running = RunningInvocations()

    /// - Parameters:
    ///   - workRoot: where per-invocation working directories are made; created (mode 0700) on first
    ///     use when missing.
    ///   - settings: limits and the region; `logTailLimit` must be positive, `outputLimit` not negative.
    ///   - isolation: the handler user, cgroups and sandbox (`HandlerIsolation.prepare`); the work
    ///     root is made passable (mode 0711) when handlers run as another user than the daemon.
    ///   - logger: for the runner's own events (metadata `flint.invocation.id`, `flint.function`).
    ///   - logHub: gets each line of the handlers' stderr as it is read (`flint logs -f`).
    public init(
        workRoot: String, settings: ExecRunnerSettings = .init(), isolation: HandlerIsolation = .processOnly,
        logger: Logger, logHub: LogHub? = nil
    ) {
        precondition(settings.logTailLimit > 0, "ExecRunnerSettings.logTailLimit must be positive")
        precondition(settings.outputLimit >= 0, "ExecRunnerSettings.outputLimit must not be negative")
        _ = Self.ignoreSIGPIPE
        self.workRoot = workRoot
        self.settings = settings
        self.isolation = isolation
        self.logger = logger
        self.logHub = logHub
        self.host = HostLimits.current()
        isolation.openWorkRoot(workRoot, logger: logger)
    }

    /// Runs one invocation to completion. Never throws: every failure is an outcome in the record.
    ///
    /// The result's `output` is the handler's stdout (empty when it exceeded the limit), its `log` the
    /// tail of its stderr. Cancelling the calling task kills the handler's process group; the outcome
    /// is then `killed`. The daemon must not set SIGCHLD to SIG_IGN nor reap children it did not
    /// start (`waitpid(-1)`): the runner reaps its own, for their rusage.
    public func run(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        let invocation = ExecInvocation(
            request: request, function: function, workRoot: workRoot, settings: settings, host: host,
            isolation: isolation, logger: logger, logHub: logHub
        )
        guard !Task.isCancelled else {
            return invocation.notStarted(.killed, message: "killed: invocation cancelled before it started")
        }
        let cancellation: CancellationSignal
        do throws(SystemError) {
            cancellation = try CancellationSignal()
        } catch {
            return invocation.notStarted(.error, message: "flint: \(error)")
        }
        // After withTaskCancellationHandler returns, onCancel can no longer run, and the supervisor
        // thread has finished with the eventfd before resuming the continuation.
        defer { cancellation.close() }
        let registration = running.add(cancellation)
        defer { running.remove(registration) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<InvocationResult, Never>) in
                do throws(SystemError) {
                    try SupervisorThread.start {
                        continuation.resume(returning: invocation.execute(cancellation: cancellation))
                    }
                } catch {
                    continuation.resume(returning: invocation.notStarted(.error, message: "flint: \(error)"))
                }
            }
        } onCancel: {
            cancellation.fire()
        }
    }

    /// Kills every invocation in flight, and any started from now on (outcome `killed`): a
    /// stopping daemon past its drain deadline. Returns how many were running.
    @discardableResult
    public func interruptAll() -> Int {
        running.interruptAll()
    }

    /// A write to a pipe whose reader is gone raises SIGPIPE, whose default action ends the process:
    /// a handler exiting without reading its whole event would take the daemon down with it. Ignored,
    /// the write fails with EPIPE instead. Handlers get the default disposition back (the spawn shim
    /// resets every signal before execve).
    private static let ignoreSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}
