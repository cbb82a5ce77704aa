public import Foundation

// When a schedule fires. Ticks are computed from the rule and the clock alone, never from when
// Flint started, so a restart does not shift them and a missed tick can be found afterwards.
extension ScheduleTrigger.Rule {
    /// The rule as flint.yaml would say it, the same for equal rules (`every: 5m` and
    /// `every: 300s` are one): what a schedule's ticks are recorded under.
    public var text: String {
        switch self {
        case .every(let interval): "every: \(DurationText.format(interval))"
        case .cron(let expression): "cron: \(expression.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))"
        }
    }

    /// The first tick strictly after `date`; nil when there is none (a cron expression that does
    /// not fire within 8 years, or does not parse), or `date` is not a usable time.
    ///
    /// `every: d` ticks at whole multiples of `d` (to the millisecond) since
    /// 1970-01-01T00:00:00Z, so `every: 5m` fires at :00, :05, :10, ... UTC. A cron expression
    /// fires at the start of each matching minute, UTC.
    public func nextTick(after date: Date) -> Date? {
        switch self {
        case .every(let interval):
            guard let step = Self.milliseconds(interval), let last = Self.lastMultiple(of: step, atOrBefore: date) else { return nil }
            let (next, overflow) = last.addingReportingOverflow(1)
            return overflow ? nil : Self.date(multiple: next, of: step)
        case .cron(let text):
            guard let cron = try? CronExpression(text),
                  let current = Self.lastMultiple(of: Self.minute, atOrBefore: date),
                  let match = cron.firstMatch(atOrAfter: current + 1)
            else { return nil }
            return Self.date(multiple: match, of: Self.minute)
        }
    }

    /// The last tick at or before `date`; nil when there is none (a cron expression that did not
    /// fire within the 8 years before, or does not parse), or `date` is not a usable time.
    public func latestTick(atOrBefore date: Date) -> Date? {
        switch self {
        case .every(let interval):
            guard let step = Self.milliseconds(interval), let last = Self.lastMultiple(of: step, atOrBefore: date) else { return nil }
            return Self.date(multiple: last, of: step)
        case .cron(let text):
            guard let cron = try? CronExpression(text),
                  let current = Self.lastMultiple(of: Self.minute, atOrBefore: date),
                  let match = cron.lastMatch(atOrBefore: current)
            else { return nil }
            return Self.date(multiple: match, of: Self.minute)
        }
    }

    /// A minute, in milliseconds.
    private static let minute: Int64 = 60_000

    /// `interval` in whole milliseconds; nil when under one or too long to count in them.
    private static func milliseconds(_ interval: Duration) -> Int64? {
        let total = interval.wholeMilliseconds
        return total >= 1 && total < .max ? total : nil
    }

    /// The date `multiple × step` milliseconds after the epoch; nil on overflow.
    private static func date(multiple: Int64, of step: Int64) -> Date? {
        let (milliseconds, overflow) = multiple.multipliedReportingOverflow(by: step)
        return overflow ? nil : Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }

    /// The largest `k` with `date(multiple: k, of: step) <= date`: compared as the dates this file
    /// returns, so a tick passed back in finds itself despite binary floating point.
    private static func lastMultiple(of step: Int64, atOrBefore date: Date) -> Int64? {
        let seconds = date.timeIntervalSince1970
        // ±3 million years: far past any schedule, and well inside Int64 milliseconds.
        guard seconds.isFinite, abs(seconds) < 1e14 else { return nil }
        let milliseconds = Int64((seconds * 1_000).rounded(.down))
        var multiple = milliseconds / step - (milliseconds % step < 0 ? 1 : 0)
        // The product above may have been rounded across a millisecond: correct by one either way.
        while let candidate = Self.date(multiple: multiple, of: step), candidate > date { multiple -= 1 }
        while let candidate = Self.date(multiple: multiple + 1, of: step), candidate <= date { multiple += 1 }
        return multiple
    }
}
