public import FlintCore

/// How an `ExecRunner` limits and describes the handler processes it starts.
public struct ExecRunnerSettings: Sendable, Hashable {
    /// How long a handler has between SIGTERM and SIGKILL once its timeout has expired.
    public var killGrace: Duration
    /// RLIMIT_NOFILE of each handler process.
    public var openFiles: Int
    /// RLIMIT_NPROC of each handler process. Linux counts this per user, across the whole system,
    /// and does not enforce it for root.
    public var processes: Int
    /// How many of the last bytes of a handler's stderr are kept. Must be positive.
    public var logTailLimit: Int
    /// The most bytes of stdout a handler may write; one more ends it with `outputTooLarge`.
    public var outputLimit: Int
    /// `AWS_REGION` and `AWS_DEFAULT_REGION` in the handler's environment.
    public var region: String

    /// - Parameters:
    ///   - killGrace: time between SIGTERM and SIGKILL after a timeout (1 s).
    ///   - openFiles: RLIMIT_NOFILE (1024).
    ///   - processes: RLIMIT_NPROC (512).
    ///   - logTailLimit: bytes of stderr kept, the last ones (`InvocationResult.logTailLimit`).
    ///   - outputLimit: bytes of stdout allowed (`InvocationResult.outputLimit`).
    ///   - region: the Lambda region variables' value (`local`).
    public init(
        killGrace: Duration = .seconds(1),
        openFiles: Int = 1024,
        processes: Int = 512,
        logTailLimit: Int = InvocationResult.logTailLimit,
        outputLimit: Int = InvocationResult.outputLimit,
        region: String = "local"
    ) {
        self.killGrace = killGrace
        self.openFiles = openFiles
        self.processes = processes
        self.logTailLimit = logTailLimit
        self.outputLimit = outputLimit
        self.region = region
    }
}
