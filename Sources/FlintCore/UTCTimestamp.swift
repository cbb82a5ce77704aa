package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A point in time at millisecond precision, broken down in UTC and formatted the ways Flint,
/// Lambda and API Gateway write it. Formatted by hand (gmtime_r, no Calendar or format style): it
/// runs on every HTTP invocation, and the machine's locale and time zone must not change the result.
package struct UTCTimestamp {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    package let epochMilliseconds: Int64
    let year: Int
    /// 1...12.
    let month: Int
    let day: Int
    let hour: Int
    let minute: Int
    let second: Int
    let millisecond: Int

    package init(_ date: Date) {
        // Rounding to the nearest millisecond keeps dates built from whole milliseconds exact
        // despite binary floating point; a non-finite date (never produced by a clock) is clamped.
        let raw = (date.timeIntervalSince1970 * 1000).rounded()
        let limit = 8.0e15  // ±250,000 years: well inside Int64 and time_t.
        let milliseconds = raw.isFinite ? Int64(min(max(raw, -limit), limit)) : 0
        let (seconds, remainder) = Self.floorDivide(milliseconds, 1000)

        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        epochMilliseconds = milliseconds
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
        millisecond = Int(remainder)
    }

    /// The day as Lambda's log stream names begin: `2024/05/01`.
    package var slashedDate: String { "\(pad(year, 4))/\(pad(month, 2))/\(pad(day, 2))" }

    /// Flint's own timestamps (admin API, `flint up`, the CLI): `2024-05-01T12:34:56.789Z`.
    package var iso8601: String { "\(dateAndTime).\(pad(millisecond, 3))Z" }

    /// EventBridge's `time`, in whole seconds (the milliseconds dropped): `2024-05-01T12:34:56Z`.
    var iso8601WholeSeconds: String { "\(dateAndTime)Z" }

    /// API Gateway's `requestContext.time`: `01/May/2024:12:34:56 +0000`.
    var apiGatewayRequestTime: String {
        let date = "\(pad(day, 2))/\(Self.monthAbbreviations[month - 1])/\(pad(year, 4))"
        return "\(date):\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)) +0000"
    }

    /// Lambda's `LastModified`: `2024-05-01T12:34:56.789+0000`.
    var lambdaLastModified: String { "\(dateAndTime).\(pad(millisecond, 3))+0000" }

    private var dateAndTime: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    /// English, whatever the locale: these are protocol text, not user-facing text.
    private static let monthAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Division rounding towards negative infinity, so times before 1970 break down correctly.
    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }
}
