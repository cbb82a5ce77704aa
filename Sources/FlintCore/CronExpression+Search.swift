extension CronExpression {
    /// How far a search looks, in days: 8 years, the longest wait for a 29 February (2096 to
    /// 2104). An expression that does not fire within it counts as never firing (`0 0 29 2 */7`:
    /// 29 February on a Sunday, once in 28 years; days no month has are refused when parsed).
    static let searchHorizonDays: Int64 = 8 * 366

    /// The first minute at or after `start` in which the expression fires, in minutes since
    /// 1970-01-01T00:00Z (UTC); nil when there is none within `searchHorizonDays`.
    ///
    /// Goes day by day, skipping days that cannot match, then through the day's matching hours
    /// and minutes only.
    func firstMatch(atOrAfter start: Int64) -> Int64? {
        let firstDay = Self.floorDivide(start, 1_440)
        let hours = self.hours.sorted()
        let minutes = self.minutes.sorted()
        for day in firstDay ... firstDay + Self.searchHorizonDays {
            let date = UTCDay(daysSinceEpoch: day)
            guard matchesDay(dayOfMonth: date.day, month: date.month, dayOfWeek: date.weekday) else { continue }
            let earliest = day == firstDay ? Int(start - day * 1_440) : 0
            for hour in hours where (hour + 1) * 60 > earliest {
                if let minute = minutes.first(where: { hour * 60 + $0 >= earliest }) {
                    return day * 1_440 + Int64(hour * 60 + minute)
                }
            }
        }
        return nil
    }

    /// The last minute at or before `end` in which the expression fires, in minutes since
    /// 1970-01-01T00:00Z (UTC); nil when there is none within `searchHorizonDays`.
    func lastMatch(atOrBefore end: Int64) -> Int64? {
        let lastDay = Self.floorDivide(end, 1_440)
        let hours = self.hours.sorted(by: >)
        let minutes = self.minutes.sorted(by: >)
        for day in stride(from: lastDay, through: lastDay - Self.searchHorizonDays, by: -1) {
            let date = UTCDay(daysSinceEpoch: day)
            guard matchesDay(dayOfMonth: date.day, month: date.month, dayOfWeek: date.weekday) else { continue }
            let latest = day == lastDay ? Int(end - day * 1_440) : 1_439
            for hour in hours where hour * 60 <= latest {
                if let minute = minutes.first(where: { hour * 60 + $0 <= latest }) {
                    return day * 1_440 + Int64(hour * 60 + minute)
                }
            }
        }
        return nil
    }

    /// Division rounding towards negative infinity, so minutes before 1970 fall in the right day.
    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
