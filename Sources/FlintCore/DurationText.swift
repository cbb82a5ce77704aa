/// Durations as manifests write them: a whole number and a unit, `500ms`, `30s`, `5m`, `1h`, `7d`,
/// or several in descending order of unit, `1m30s`, `1h30m`, `1d12h`.
///
/// A unit is required (a bare `30` is refused: seconds or milliseconds?), each unit appears at
/// most once, and there is no sign and no fraction.
public enum DurationText {
    /// The units, largest first, with their length in milliseconds.
    private static let units: [(suffix: String, millis: Int64)] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ]

    /// What an error message shows as valid examples.
    static let examples = "use 500ms, 30s, 5m, 7d"

    /// Parses `text`, or returns nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var total: Int64 = 0
        // Index into `units` of the last unit read: the next must be a smaller one.
        var lastUnit = -1
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            guard let unit = units.firstIndex(where: { $0.suffix == letters }), unit > lastUnit else { return nil }
            rest = rest.dropFirst(letters.count)
            lastUnit = unit
            let (part, overflowA) = number.multipliedReportingOverflow(by: units[unit].millis)
            let (sum, overflowB) = total.addingReportingOverflow(part)
            guard !overflowA, !overflowB else { return nil }
            total = sum
        }
        return .milliseconds(total)
    }

    /// Formats `duration` the way `parse` reads it, to the millisecond (`90s` is `1m30s`, `36h` is
    /// `1d12h`); a negative duration is formatted as zero.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        // Past Int64 milliseconds (292 million years) seconds are all there is to say.
        guard seconds < Int64.max / 1_000 else { return "\(seconds)s" }
        var remaining = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        guard remaining > 0 else { return "0s" }
        var text = ""
        for unit in units where remaining >= unit.millis {
            text += "\(remaining / unit.millis)\(unit.suffix)"
            remaining %= unit.millis
        }
        return text
    }
}
