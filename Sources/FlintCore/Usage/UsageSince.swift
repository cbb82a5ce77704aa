public import Foundation

/// Where a usage report's period starts: `--since` of `flint usage`, `since` of `GET /v1/usage`.
/// Either a duration back from now (`24h`, `7d`, `90m`) or a point in time (`2026-05-01`,
/// `2026-05-01T12:00:00Z`); the period ends now.
public enum UsageSince: Sendable, Hashable {
    /// This long before now.
    case ago(Duration)
    /// From this moment.
    case at(Date)

    /// The default: the last day.
    public static let defaultText = "24h"

    /// Parses `text`; the error says which forms are accepted.
    public static func parse(_ text: String) throws(UsageSinceError) -> UsageSince {
        if let duration = DurationText.parse(text) {
            guard duration > .zero else { throw UsageSinceError(text: text, problem: "is an empty period (give a length above 0)") }
            return .ago(duration)
        }
        if let date = TimestampText.parse(text) { return .at(date) }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw UsageSinceError(text: text, problem: "has no unit (24h, 7d, 90m: hours, days, minutes back from now)")
        }
        let looksLikeDate = text.first?.isNumber == true && text.contains("-")
        throw UsageSinceError(
            text: text,
            problem: looksLikeDate
                ? "is not an ISO 8601 date or time (\(TimestampText.examples); a time needs Z or an offset)"
                : "is neither a duration back from now (24h, 7d, 90m, 1h30m) nor an ISO 8601 time (\(TimestampText.examples))"
        )
    }

    /// The start of the period that ends at `now`; refused when it is not before `now`. No period
    /// starts before 1970-01-01 (the ledger's epoch): `since=1000000d` means "everything".
    public func start(now: Date) throws(UsageSinceError) -> Date {
        let epoch = Date(timeIntervalSince1970: 0)
        switch self {
        case .ago(let duration):
            let (seconds, attoseconds) = duration.components
            return max(epoch, now.addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18)))
        case .at(let date):
            guard date < now else {
                throw UsageSinceError(
                    text: UTCTimestamp(date).iso8601,
                    problem: "is not in the past (it is now \(UTCTimestamp(now).iso8601)); give an earlier time or a duration such as 24h")
            }
            return max(epoch, date)
        }
    }
}

/// A `since` that is not a period's start; `description` reads `"yesterday" is neither ...`.
public struct UsageSinceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// What is wrong with it and what to write instead.
    public var problem: String

    public var description: String { "\"\(text)\" \(problem)" }
}
