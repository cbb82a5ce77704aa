internal import FlintCore
internal import Foundation

/// The line `flint up` prints for each finished invocation:
/// `2026-11-22T10:01:02.123Z  echo  http:echo  ok  2.1ms  3b1c9e0a-…`.
enum InvocationConsoleLine {
    static func format(_ record: InvocationRecord) -> String {
        let via = record.trigger.map { "\(record.source.rawValue):\($0)" } ?? record.source.rawValue
        var line = "\(UTCTimestamp(record.endedAt).iso8601)  \(record.function)  \(via)  \(record.outcome.rawValue)  \(duration(record.durationMicros))  \(record.id)"
        if let message = record.errorMessage, !record.outcome.isSuccess {
            // The handler's own words (a Lambda errorMessage, an output's key): printed, not obeyed.
            line += "  (\(TerminalText.escaped(message)))"
        }
        return line
    }

    static func duration(_ micros: Int64) -> String {
        if micros < 10_000 {
            let hundredths = (micros + 5) / 10
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)ms"
        }
        if micros < 10_000_000 { return "\((micros + 500) / 1000)ms" }
        let tenths = (micros + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
