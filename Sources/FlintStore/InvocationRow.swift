internal import Foundation
internal import FlintCore
internal import GRDB

/// The `invocations` table: one row per finished invocation. Times are integer microseconds
/// since the epoch so that other programs can query and sum them with plain SQL.
struct InvocationRow: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "invocations"

    var id: String
    var function: String
    var trigger: String?
    var source: String
    var attempt: Int
    var startedAtMicros: Int64
    var endedAtMicros: Int64
    var durationMicros: Int64
    var billedMillis: Int64
    var memoryLimitMB: Int
    var peakRSSBytes: Int64
    var userCPUMicros: Int64
    var systemCPUMicros: Int64
    var exitCode: Int32?
    var signal: Int32?
    var coldStart: Bool
    var initDurationMicros: Int64?
    var outcome: String
    var errorMessage: String?

    enum CodingKeys: String, CodingKey {
        case id, function, trigger, source, attempt
        case startedAtMicros = "started_at_us"
        case endedAtMicros = "ended_at_us"
        case durationMicros = "duration_us"
        case billedMillis = "billed_ms"
        case memoryLimitMB = "memory_limit_mb"
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

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let function = Column(CodingKeys.function)
        static let startedAtMicros = Column(CodingKeys.startedAtMicros)
    }

    init(_ record: InvocationRecord) {
        id = record.id
        function = record.function
        trigger = record.trigger
        source = record.source.rawValue
        attempt = record.attempt
        startedAtMicros = EpochMicros.from(record.startedAt)
        endedAtMicros = EpochMicros.from(record.endedAt)
        durationMicros = record.durationMicros
        billedMillis = record.billedMillis
        memoryLimitMB = record.memoryLimitMB
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

    /// The row as a record; values another program wrote that Flint does not know become `error`.
    var record: InvocationRecord {
        InvocationRecord(
            id: id, function: function, trigger: trigger,
            source: InvocationSource(rawValue: source) ?? .lambda, attempt: attempt,
            startedAt: EpochMicros.date(startedAtMicros), endedAt: EpochMicros.date(endedAtMicros),
            durationMicros: durationMicros, memoryLimitMB: memoryLimitMB, peakRSSBytes: peakRSSBytes,
            userCPUMicros: userCPUMicros, systemCPUMicros: systemCPUMicros,
            exitCode: exitCode, signal: signal, coldStart: coldStart,
            outcome: InvocationOutcome(rawValue: outcome) ?? .error, errorMessage: errorMessage,
            initDurationMicros: initDurationMicros
        )
    }

}

/// The `invocation_logs` table: the tail of each invocation's log, apart so listings stay small.
struct InvocationLogRow: Decodable, FetchableRecord, TableRecord {
    static let databaseTableName = "invocation_logs"
    var invocationID: String
    var tail: Data

    enum CodingKeys: String, CodingKey {
        case invocationID = "invocation_id"
        case tail
    }
}
