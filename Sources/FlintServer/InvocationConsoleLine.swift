internal import FlintCore
internal import Foundation

/// The line `flint up` prints for each finished invocation:
/// `2026-11-22T10:01:02.123Z  echo  http:echo  ok  2.1ms  3b1c9e0a-…`.
enum InvocationConsoleLine {
    static func format(_ record: InvocationRecord) -> String {
        let via = record.trigger.map { "\(record.source.rawValue):\($0)" } ?? record.source.rawValue
        var line = "\(ISO8601.string(from: record.endedAt))  \(record.function)  \(via)  \(record.outcome.rawValue)  \(duration(record.durationMicros))  \(record.id)"
        if let message = record.errorMessage, !record.outcome.isSuccess {
            line += "  (\(message))"
        }
        return line
    }

    static func duration(_ micros: Int64) -> String {
        if micros < 10_000 { return String(format: "%.2fms", Double(micros) / 1000) }
        if micros < 10_000_000 { return String(format: "%.0fms", Double(micros) / 1000) }
        return String(format: "%.1fs", Double(micros) / 1_000_000)
    }
}
