public import Foundation

/// One invocation's row in the ledger: everything metering and `flint invocations` show.
public struct InvocationRecord: Sendable, Hashable, Codable {
    public var id: String
    public var function: String
    /// The trigger's name, or nil for direct invocations (Lambda Invoke API, `flint invoke`).
    public var trigger: String?
    public var source: InvocationSource
    /// 1 for the first attempt.
    public var attempt: Int
    public var startedAt: Date
    public var endedAt: Date
    /// Wall-clock time from spawn to exit, in microseconds.
    public var durationMicros: Int64
    /// The function's memory limit in MiB at the time of the invocation.
    public var memoryLimitMB: Int
    /// Peak resident set size of the handler, in bytes (0 when unknown).
    public var peakRSSBytes: Int64
    public var userCPUMicros: Int64
    public var systemCPUMicros: Int64
    /// The handler's exit status, when it exited.
    public var exitCode: Int32?
    /// The signal that ended the handler, when one did.
    public var signal: Int32?
    public var coldStart: Bool
    /// `lambda` runtime, cold starts: microseconds from the instance's spawn until its runtime asked
    /// for its first event (Lambda's "Init Duration"); nil for warm starts and exec invocations.
    public var initDurationMicros: Int64?
    public var outcome: InvocationOutcome
    /// A one-line reason for a failure, for people (`exit status 3`, `killed after 30s timeout`).
    public var errorMessage: String?

    public init(
        id: String, function: String, trigger: String?, source: InvocationSource, attempt: Int,
        startedAt: Date, endedAt: Date, durationMicros: Int64, memoryLimitMB: Int,
        peakRSSBytes: Int64, userCPUMicros: Int64, systemCPUMicros: Int64,
        exitCode: Int32?, signal: Int32?, coldStart: Bool, outcome: InvocationOutcome, errorMessage: String?,
        initDurationMicros: Int64? = nil
    ) {
        self.id = id
        self.function = function
        self.trigger = trigger
        self.source = source
        self.attempt = attempt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMicros = durationMicros
        self.memoryLimitMB = memoryLimitMB
        self.peakRSSBytes = peakRSSBytes
        self.userCPUMicros = userCPUMicros
        self.systemCPUMicros = systemCPUMicros
        self.exitCode = exitCode
        self.signal = signal
        self.coldStart = coldStart
        self.initDurationMicros = initDurationMicros
        self.outcome = outcome
        self.errorMessage = errorMessage
    }
}

extension InvocationRecord {
    /// Whether a handler got the invocation. Flint records no duration for one that never reached
    /// one: stopped by the loop guard, cancelled or failed before its process started, or never
    /// delivered to a warm instance (Flint stopping, an instance that failed to start).
    public var reachedHandler: Bool { Self.reachedHandler(durationMicros: durationMicros, outcome: outcome) }

    /// The rule of `reachedHandler`, for readers of ledger rows (which another Flint, or another
    /// program, may have written with a `billed_ms` of their own).
    public static func reachedHandler(durationMicros: Int64, outcome: InvocationOutcome) -> Bool {
        durationMicros > 0 && outcome != .loopStopped
    }

    /// Duration rounded up to the next whole millisecond, as Lambda bills; nothing for an
    /// invocation that never reached a handler.
    public var billedMillis: Int64 { reachedHandler ? Self.billedMillis(forMicros: durationMicros) : 0 }

    /// Memory limit in GB (1 GB = 1024 MiB, Lambda's convention) × billed seconds.
    public var gbSeconds: Double { Double(memoryLimitMB) / 1024 * Double(billedMillis) / 1000 }

    public static func billedMillis(forMicros micros: Int64) -> Int64 {
        max(1, (micros + 999) / 1000)
    }
}
