public import Foundation

/// Points in time as people type them on a command line or in a query: ISO 8601 in its common
/// forms. A date alone is midnight UTC (`2026-05-01`); a date and time needs its zone, `Z` or an
/// offset (`2026-05-01T12:00:00Z`, `2026-05-01T14:00+02:00`), because a time without one would
/// mean whatever zone the daemon happens to run in. Seconds and their fraction are optional.
///
/// Parsed by hand, without Calendar or a format style, so the machine's locale and zone cannot
/// change the result (like `UTCTimestamp`, which writes the same form).
public enum TimestampText {
    /// What an error message shows as valid examples.
    public static let examples = "2026-05-01, 2026-05-01T12:00:00Z, 2026-05-01T14:00+02:00"

    /// Parses `text`, or returns nil when it is not one of the accepted forms or not a real date.
    public static func parse(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
              let month = scanner.number(digits: 2), scanner.take("-"),
              let day = scanner.number(digits: 2),
              let days = daysSinceEpoch(year: year, month: month, day: day)
        else { return nil }
        guard !scanner.isAtEnd else { return Date(timeIntervalSince1970: Double(days) * 86_400) }

        guard scanner.take("T") || scanner.take("t") || scanner.take(" "),
              let hour = scanner.number(digits: 2), hour < 24, scanner.take(":"),
              let minute = scanner.number(digits: 2), minute < 60
        else { return nil }
        var second = 0
        var fraction = 0.0
        if scanner.take(":") {
            guard let value = scanner.number(digits: 2), value < 60 else { return nil }
            second = value
            if scanner.take(".") || scanner.take(",") {
                let digits = scanner.digits()
                guard !digits.isEmpty, digits.count <= 9, let value = Double("0." + digits) else { return nil }
                fraction = value
            }
        }
        guard let offsetSeconds = scanner.zoneOffset(), scanner.isAtEnd else { return nil }
        let seconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Parses ISO 8601's basic form in UTC to the second, `20261125T024252Z`, as AWS's
    /// `X-Amz-Date` writes it; nil for anything else.
    public static func parseBasic(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), let month = scanner.number(digits: 2), let day = scanner.number(digits: 2),
              let days = daysSinceEpoch(year: year, month: month, day: day), scanner.take("T"),
              let hour = scanner.number(digits: 2), hour < 24, let minute = scanner.number(digits: 2), minute < 60,
              let second = scanner.number(digits: 2), second < 60, scanner.take("Z"), scanner.isAtEnd
        else { return nil }
        return Date(timeIntervalSince1970: Double(days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)))
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`, the inverse of `UTCDay`); nil when the day does not exist (Feb 30).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64? {
        guard (1 ... 12).contains(month), day >= 1 else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        // Round-trip: 2026-02-30 comes back as March 2nd and is refused.
        let check = UTCDay(daysSinceEpoch: days)
        guard check.year == Int64(year), check.month == month, check.day == day else { return nil }
        return days
    }

    /// Reads ASCII text left to right.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func take(_ character: Character) -> Bool {
            guard index < bytes.count, let ascii = character.asciiValue, bytes[index] == ascii else { return false }
            index += 1
            return true
        }

        /// The run of digits here, possibly empty.
        mutating func digits() -> String {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start ..< index], as: UTF8.self)
        }

        /// The next `count` characters, all digits, as a number.
        mutating func number(digits count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            let slice = bytes[index ..< index + count]
            guard slice.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) }) else { return nil }
            index += count
            return Int(String(decoding: slice, as: UTF8.self))
        }

        /// `Z`, or `+HH:MM` / `-HH:MM` / `+HHMM` / `+HH`, as seconds east of UTC; nil when neither.
        mutating func zoneOffset() -> Int? {
            if take("Z") || take("z") { return 0 }
            let sign: Int
            if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
            guard let hours = number(digits: 2), hours <= 23 else { return nil }
            var minutes = 0
            if !isAtEnd {
                _ = take(":")
                guard let value = number(digits: 2), value < 60 else { return nil }
                minutes = value
            }
            return sign * (hours * 3_600 + minutes * 60)
        }
    }
}
