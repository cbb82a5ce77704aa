/// A function: a directory with `function.yaml` and the handler's files.
public struct FunctionManifest: Sendable, Hashable, Codable {
    /// `[a-z0-9-]{1,64}`, unique within a project.
    public var name: String
    /// Absolute path of the directory holding `function.yaml`.
    public var directory: String
    public var runtime: Runtime
    /// argv; `command[0]` and arguments starting with `./` or `../` are resolved against `directory`.
    public var command: [String]
    public var timeout: Duration
    /// The memory limit in bytes; also the figure billing uses.
    public var memoryBytes: Int
    /// Maximum instances at once (reserved concurrency).
    public var concurrency: Int
    /// `lambda` runtime: an idle instance is stopped after this.
    public var idle: Duration
    /// Asynchronous sources: attempts after the first.
    public var retries: Int
    /// The only variables the handler sees besides Flint's own.
    public var environment: [String: String]
    public var isolation: Isolation
    /// `isolation: sandbox`: whether the sandbox keeps the host's network (false: loopback only).
    /// A function with `isolation: process` always has it.
    public var network: Bool
    /// Asynchronous invocations: the topic a destination record is published to when one
    /// succeeds (Lambda's `OnSuccess` destination); nil publishes nothing.
    public var onSuccess: String?
    /// Asynchronous invocations: the topic a destination record is published to when every
    /// attempt has failed (Lambda's `OnFailure` destination); nil publishes nothing.
    public var onFailure: String?
    /// The bucket the files a handler leaves in `FLINT_OUTPUT_DIR` are moved into when an
    /// invocation succeeds; nil when the function has none.
    public var output: String?

    public init(
        name: String,
        directory: String,
        runtime: Runtime = .exec,
        command: [String],
        timeout: Duration = FunctionManifest.defaultTimeout,
        memoryBytes: Int = FunctionManifest.defaultMemoryBytes,
        concurrency: Int = FunctionManifest.defaultConcurrency,
        idle: Duration = FunctionManifest.defaultIdle,
        retries: Int = FunctionManifest.defaultRetries,
        environment: [String: String] = [:],
        isolation: Isolation = .process,
        network: Bool = false,
        onSuccess: String? = nil,
        onFailure: String? = nil,
        output: String? = nil
    ) {
        self.name = name
        self.directory = directory
        self.runtime = runtime
        self.command = command
        self.timeout = timeout
        self.memoryBytes = memoryBytes
        self.concurrency = concurrency
        self.idle = idle
        self.retries = retries
        self.environment = environment
        self.isolation = isolation
        self.network = network
        self.onSuccess = onSuccess
        self.onFailure = onFailure
        self.output = output
    }

    /// The memory limit in MiB, as Lambda reports `MemorySize` and billing counts it; a limit
    /// that is not a whole number of MiB (`200000Ki`) counts as the next one up, never less than
    /// what is enforced.
    public var memoryMB: Int { (memoryBytes + 1024 * 1024 - 1) / (1024 * 1024) }

    /// How long a `lambda` runtime may take to ask for its first event: Lambda's 10 s init phase,
    /// or the `timeout` when that is longer. An invocation's own `timeout` starts when the runtime
    /// receives it, so a slow start does not eat into it.
    public var initLimit: Duration { max(Self.minimumInitLimit, timeout) }

    /// The longest one invocation may run before Flint ends it: its `timeout`; for a `lambda`
    /// function, a cold start's init limit more.
    public var longestInvocation: Duration { runtime == .lambda ? initLimit + timeout : timeout }
}

extension FunctionManifest {
    public static let defaultTimeout: Duration = .seconds(30)
    public static let defaultMemoryBytes = 256 * 1024 * 1024
    public static let defaultConcurrency = 8
    public static let defaultIdle: Duration = .seconds(30)
    public static let defaultRetries = 2
    /// Lambda's init phase: 10 s.
    public static let minimumInitLimit: Duration = .seconds(10)

    public static let timeoutRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(15 * 60)
    public static let memoryRange: ClosedRange<Int> = (16 * 1024 * 1024) ... (10 * 1024 * 1024 * 1024)
    public static let concurrencyRange: ClosedRange<Int> = 1 ... 1000
    public static let retriesRange: ClosedRange<Int> = 0 ... 100
    public static let idleRange: ClosedRange<Duration> = .seconds(1) ... .seconds(60 * 60)
}

/// How a function's handler process is run.
public enum Runtime: String, Sendable, Hashable, Codable, CaseIterable {
    /// One process per invocation: event on stdin, result on stdout.
    case exec
    /// The AWS Lambda Runtime API; the process is reused while warm.
    case lambda
}

/// How strongly a handler is separated from the host.
public enum Isolation: String, Sendable, Hashable, Codable, CaseIterable {
    /// Own session, clean environment, rlimits, fresh working directory.
    case process
    /// `process` plus bubblewrap namespaces: read-only root, private /tmp, no network.
    case sandbox
}

extension FunctionManifest {
    /// An invocation's duration as recorded and billed: a timed-out one's ends at the timeout, as
    /// Lambda's does, not after the kill grace Flint gave it on top (its measured time otherwise).
    public func recordedDurationMicros(measured: Int64, outcome: InvocationOutcome) -> Int64 {
        guard outcome == .timeout else { return measured }
        let (limit, overflow) = timeout.wholeMilliseconds.multipliedReportingOverflow(by: 1_000)
        return overflow ? measured : min(measured, limit)
    }
}
