/// A five-field cron expression, `minute hour day-of-month month day-of-week`, as Vixie cron reads
/// it: each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma-separated
/// list of those. Day of week is 0...7, both 0 and 7 being Sunday. Names (`MON`, `JAN`) and macros
/// (`@daily`) are not accepted.
package struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// One of the five fields, in order.
    package enum Field: Int, Sendable, CaseIterable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        /// The name messages use.
        package var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// The values the field may name.
        package var range: ClosedRange<Int> {
            switch self {
            case .minute: 0 ... 59
            case .hour: 0 ... 23
            case .dayOfMonth: 1 ... 31
            case .month: 1 ... 12
            case .dayOfWeek: 0 ... 7
            }
        }
    }

    package let minutes: Set<Int>
    package let hours: Set<Int>
    package let daysOfMonth: Set<Int>
    package let months: Set<Int>
    /// 0...6, Sunday being 0 (a written 7 is stored as 0).
    package let daysOfWeek: Set<Int>
    /// Whether the day-of-month field starts with `*`; cron ORs the two day fields only when
    /// neither does.
    package let dayOfMonthIsUnrestricted: Bool
    /// Whether the day-of-week field starts with `*`.
    package let dayOfWeekIsUnrestricted: Bool
    /// The expression as written.
    package let description: String

    /// The macros of Vixie cron that are a schedule, written as the five fields.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`, or throws a message naming the field that is wrong.
    package init(_ text: String) throws(CronExpressionError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if let macro = fields.first, macro.hasPrefix("@") {
            if macro.lowercased() == "@every" {
                throw CronExpressionError("@every is a macro, which Flint's cron does not take; a schedule trigger's every: says it (every: 5m)")
            }
            let fiveFields = Self.macros[macro.lowercased()].map { "; write \(macro) as \"\($0)\"" } ?? "; write the five fields"
            throw CronExpressionError("\(macro) is a macro, which Flint's cron does not take\(fiveFields): minute hour day-of-month month day-of-week")
        }
        guard fields.count == Field.allCases.count else {
            throw CronExpressionError(
                "has \(fields.count) field\(fields.count == 1 ? "" : "s"), needs 5: minute hour day-of-month month day-of-week"
            )
        }
        var sets: [Set<Int>] = []
        for (field, written) in zip(Field.allCases, fields) {
            sets.append(try Self.parse(written, as: field))
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 % 7 })
        dayOfMonthIsUnrestricted = fields[2].hasPrefix("*")
        dayOfWeekIsUnrestricted = fields[4].hasPrefix("*")
        description = text
        // Both day fields must match when either starts with `*`: then only the days of month
        // decide, and `30 2` is a day no year has.
        if dayOfWeekIsUnrestricted, !months.contains(where: { month in daysOfMonth.contains { $0 <= Self.longest(month) } }) {
            throw CronExpressionError(
                "never fires: no month it names has a day it names (\(fields[2]) of month \(fields[3])); check the day-of-month and month fields")
        }
    }

    /// The most days `month` (1...12) has: 29 in February, in leap years.
    static func longest(_ month: Int) -> Int {
        switch month {
        case 2: 29
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whether the expression fires in the given minute; `dayOfWeek` is 0...6 from Sunday.
    package func matches(minute: Int, hour: Int, dayOfMonth: Int, month: Int, dayOfWeek: Int) -> Bool {
        guard minutes.contains(minute), hours.contains(hour) else { return false }
        return matchesDay(dayOfMonth: dayOfMonth, month: month, dayOfWeek: dayOfWeek)
    }

    /// Whether the expression fires at some time of the given day; `dayOfWeek` is 0...6 from Sunday.
    package func matchesDay(dayOfMonth: Int, month: Int, dayOfWeek: Int) -> Bool {
        guard months.contains(month) else { return false }
        let domMatches = daysOfMonth.contains(dayOfMonth)
        let dowMatches = daysOfWeek.contains(dayOfWeek % 7)
        if dayOfMonthIsUnrestricted || dayOfWeekIsUnrestricted {
            return domMatches && dowMatches
        }
        return domMatches || dowMatches
    }

    private static func parse(_ text: Substring, as field: Field) throws(CronExpressionError) -> Set<Int> {
        var values: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            values.formUnion(try parseItem(item, as: field))
        }
        return values
    }

    /// One list item: `*`, `n`, `a-b`, `*/n` or `a-b/n`.
    private static func parseItem(_ item: Substring, as field: Field) throws(CronExpressionError) -> Set<Int> {
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        var step = 1
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 1, n <= field.range.upperBound else {
                throw CronExpressionError(
                    "\(field.name) step \"\(parts[1])\" must be a number from 1 to \(field.range.upperBound)"
                )
            }
            guard base == "*" || base.contains("-") else {
                throw CronExpressionError(
                    "\(field.name) step \"\(item)\" needs * or a range before /, e.g. */\(n) or \(base)-\(field.range.upperBound)/\(n)"
                )
            }
            step = n
        }
        let bounds: ClosedRange<Int>
        if base == "*" {
            bounds = field.range
        } else if let dash = base.firstIndex(of: "-") {
            let low = try number(base[..<dash], in: field)
            let high = try number(base[base.index(after: dash)...], in: field)
            guard low <= high else {
                throw CronExpressionError("\(field.name) range \"\(base)\" runs backwards; write \(high)-\(low)")
            }
            bounds = low ... high
        } else {
            let value = try number(base, in: field)
            bounds = value ... value
        }
        return Set(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
    }

    private static func number(_ text: Substring, in field: Field) throws(CronExpressionError) -> Int {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            throw CronExpressionError(
                "\(field.name) \"\(text)\" is not a number, range, list or step (use *, 5, 1-5, 1,15 or */10)"
            )
        }
        guard field.range.contains(value) else {
            throw CronExpressionError(
                "\(field.name) \(value) is out of range (\(field.range.lowerBound)-\(field.range.upperBound))"
            )
        }
        return value
    }
}

/// Why a cron expression was refused: which field, what is wrong with it.
package struct CronExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
