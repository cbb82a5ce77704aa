/// How an invocation ended.
public enum InvocationOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// Exit status 0 (exec) or a `/response` (lambda).
    case ok
    /// Non-zero exit, a signal, a spawn failure, or a `/error` (lambda).
    case error
    /// Ran past the function's timeout and was stopped.
    case timeout
    /// Ran out of the memory the manifest allows.
    case oom
    /// Stopped by Flint for another reason (shutdown past its drain deadline).
    case killed
    /// Wrote more than the 6 MiB response limit to stdout and was stopped.
    case outputTooLarge = "output-too-large"
    /// Not run: a chain of invocations caused by each other reached `CausationDepth.limit`.
    case loopStopped = "loop-stopped"

    public var isSuccess: Bool { self == .ok }

    /// Whether another attempt could end otherwise: a stopped loop would only be stopped again.
    public var isWorthRetrying: Bool { self != .loopStopped }
}

/// What started an invocation; `FLINT_SOURCE` in the handler's environment.
public enum InvocationSource: String, Sendable, Hashable, Codable, CaseIterable {
    case http, lambda, cli, queue, bucket, schedule
}
