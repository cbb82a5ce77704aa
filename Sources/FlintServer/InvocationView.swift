public import FlintCore
public import Foundation

/// An invocation as the admin API and `flint invocations --json` show it.
public struct InvocationView: Codable, Sendable, Hashable {
    public var id: String
    public var function: String
    public var trigger: String?
    public var source: String
    public var attempt: Int
    public var startedAt: Date
    public var endedAt: Date
    public var durationMicros: Int64
    public var billedMillis: Int64
    public var memoryLimitMB: Int
    public var gbSeconds: Double
    public var peakRSSBytes: Int64
    public var userCPUMicros: Int64
    public var systemCPUMicros: Int64
    public var exitCode: Int32?
    public var signal: Int32?
    public var coldStart: Bool
    /// Microseconds a cold `lambda` instance took to start (spawn to its first request for work).
    public var initDurationMicros: Int64?
    public var outcome: String
    public var errorMessage: String?

    public init(_ record: InvocationRecord) {
        id = record.id
        function = record.function
        trigger = record.trigger
        source = record.source.rawValue
        attempt = record.attempt
        startedAt = record.startedAt
        endedAt = record.endedAt
        durationMicros = record.durationMicros
        billedMillis = record.billedMillis
        memoryLimitMB = record.memoryLimitMB
        gbSeconds = record.gbSeconds
        peakRSSBytes = record.peakRSSBytes
        userCPUMicros = record.userCPUMicros
        systemCPUMicros = record.systemCPUMicros
        exitCode = record.exitCode
        signal = record.signal
        coldStart = record.coldStart
        initDurationMicros = record.initDurationMicros
        outcome = record.outcome.rawValue
        errorMessage = record.errorMessage
    }

    enum CodingKeys: String, CodingKey {
        case id, function, trigger, source, attempt
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMicros = "duration_us"
        case billedMillis = "billed_ms"
        case memoryLimitMB = "memory_limit_mb"
        case gbSeconds = "gb_seconds"
        case peakRSSBytes = "peak_rss_bytes"
        case userCPUMicros = "user_cpu_us"
        case systemCPUMicros = "system_cpu_us"
        case exitCode = "exit_code"
        case signal
        case coldStart = "cold_start"
        case initDurationMicros = "init_duration_us"
        case outcome
        case errorMessage = "error_message"
    }

    /// Every key, with `null` for what the invocation lacks, as the API documents: a client can
    /// read `exit_code` of a timed-out invocation without checking that the key is there.
    /// (The synthesized encoding leaves absent optionals out.)
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(function, forKey: .function)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(source, forKey: .source)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(durationMicros, forKey: .durationMicros)
        try container.encode(billedMillis, forKey: .billedMillis)
        try container.encode(memoryLimitMB, forKey: .memoryLimitMB)
        try container.encode(gbSeconds, forKey: .gbSeconds)
        try container.encode(peakRSSBytes, forKey: .peakRSSBytes)
        try container.encode(userCPUMicros, forKey: .userCPUMicros)
        try container.encode(systemCPUMicros, forKey: .systemCPUMicros)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(signal, forKey: .signal)
        try container.encode(coldStart, forKey: .coldStart)
        try container.encode(initDurationMicros, forKey: .initDurationMicros)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(errorMessage, forKey: .errorMessage)
    }
}

/// A function as the admin API and `flint ls --json` show it.
public struct FunctionView: Codable, Sendable, Hashable {
    public var name: String
    public var runtime: String
    public var command: [String]
    public var directory: String
    public var timeoutMillis: Int64
    public var memoryMB: Int
    public var concurrency: Int
    public var retries: Int
    public var isolation: String
    public var running: Int
    public var triggers: [String]

    public init(_ function: FunctionManifest, running: Int, triggers: [String]) {
        name = function.name
        runtime = function.runtime.rawValue
        command = function.command
        directory = function.directory
        timeoutMillis = function.timeout.wholeMilliseconds
        memoryMB = function.memoryMB
        concurrency = function.concurrency
        retries = function.retries
        isolation = function.isolation.rawValue
        self.running = running
        self.triggers = triggers
    }

    enum CodingKeys: String, CodingKey {
        case name, runtime, command, directory
        case timeoutMillis = "timeout_ms"
        case memoryMB = "memory_mb"
        case concurrency, retries, isolation, running, triggers
    }
}
