public import Foundation

/// One event on its way to one function.
public struct InvocationRequest: Sendable {
    /// The invocation id: a lowercase UUID, also Lambda's request id.
    public var id: String
    public var function: String
    /// The trigger's name, or nil for direct invocations.
    public var trigger: String?
    public var source: InvocationSource
    /// 1 for the first attempt.
    public var attempt: Int
    /// The event, as the handler receives it (JSON for every built-in source).
    public var payload: Data
    /// How many invocations, each caused by the one before, led to this one (0 for an event from
    /// outside Flint); see `CausationDepth`.
    public var depth: Int
    /// A bucket event's object, as an absolute path (`FLINT_OBJECT_PATH`).
    public var objectPath: String?
    /// Where the handler leaves files for the function's output bucket (`FLINT_OUTPUT_DIR`).
    public var outputDirectory: String?
    /// A synchronous Invoke API call's client context and qualifier, for a warm runtime.
    public var caller: LambdaCallerContext?

    public init(
        id: String = InvocationRequest.newID(), function: String, trigger: String? = nil,
        source: InvocationSource, attempt: Int = 1, payload: Data, depth: Int = 0, objectPath: String? = nil
    ) {
        self.id = id
        self.function = function
        self.trigger = trigger
        self.source = source
        self.attempt = attempt
        self.payload = payload
        self.depth = depth
        self.objectPath = objectPath
    }

    /// A fresh invocation id.
    public static func newID() -> String { TimeOrderedUUID.make() }
}

/// What an invocation produced: its ledger row, its output and the tail of its log.
public struct InvocationResult: Sendable {
    public var record: InvocationRecord
    /// stdout (exec) or the `/response` body (lambda); the error document for a failure, if any.
    public var output: Data
    /// The last bytes of the handler's log (stderr), at most `InvocationResult.logTailLimit`.
    public var log: Data

    public init(record: InvocationRecord, output: Data, log: Data) {
        self.record = record
        self.output = output
        self.log = log
    }

    /// The largest response a handler may return, as Lambda's synchronous limit.
    public static let outputLimit = 6 * 1024 * 1024
    /// How much of a handler's log is kept per invocation (the tail).
    public static let logTailLimit = 64 * 1024
}

extension InvocationResult {
    /// The result of an invocation whose handler never started: no time, no resources, no output.
    public static func notRun(
        _ request: InvocationRequest, function: FunctionManifest, outcome: InvocationOutcome, message: String, at now: Date = Date()
    ) -> InvocationResult {
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source, attempt: request.attempt,
            startedAt: now, endedAt: now, durationMicros: 0, memoryLimitMB: function.memoryMB,
            peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0, exitCode: nil, signal: nil, coldStart: false,
            outcome: outcome, errorMessage: message
        )
        return InvocationResult(record: record, output: Data(), log: Data())
    }
}
