import Foundation
import Testing

@testable import FlintCore

@Suite struct ScheduleTickTests {
    /// `2024-05-01T12:34:56Z`, or with milliseconds.
    private func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = formatter.date(from: text) else {
            Issue.record("not a date: \(text)")
            return .distantPast
        }
        return date
    }

    private func cron(_ expression: String) -> ScheduleTrigger.Rule { .cron(expression) }

    @Test func every5m_ticksOnTheFiveMinuteMarksUTC() {
        let rule = ScheduleTrigger.Rule.every(.seconds(300))
        #expect(rule.nextTick(after: utc("2024-05-01T12:34:56.789Z")) == utc("2024-05-01T12:35:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-01T12:35:00Z")) == utc("2024-05-01T12:40:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-01T12:34:59.999Z")) == utc("2024-05-01T12:35:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2024-05-01T12:35:00Z")) == utc("2024-05-01T12:35:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2024-05-01T12:34:56Z")) == utc("2024-05-01T12:30:00Z"))
        #expect(rule.nextTick(after: utc("1969-12-31T23:58:00Z")) == utc("1970-01-01T00:00:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("1969-12-31T23:58:00Z")) == utc("1969-12-31T23:55:00Z"))
    }

    @Test func every90s_ticksAtMultiplesOf90sSinceTheEpoch() throws {
        let rule = ScheduleTrigger.Rule.every(.seconds(90))
        #expect(rule.nextTick(after: Date(timeIntervalSince1970: 100)) == Date(timeIntervalSince1970: 180))
        let now = utc("2024-05-01T12:34:56.789Z")
        let next = try #require(rule.nextTick(after: now))
        #expect(next.timeIntervalSince1970.truncatingRemainder(dividingBy: 90) == 0)
        #expect(next > now && next.timeIntervalSince(now) <= 90)
        #expect(rule.nextTick(after: next) == next.addingTimeInterval(90))
    }

    @Test func cronEvery15Minutes() {
        let rule = cron("*/15 * * * *")
        #expect(rule.nextTick(after: utc("2024-05-01T12:07:30Z")) == utc("2024-05-01T12:15:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-01T12:15:00Z")) == utc("2024-05-01T12:30:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-01T12:14:59.999Z")) == utc("2024-05-01T12:15:00Z"))
        #expect(rule.nextTick(after: utc("2024-12-31T23:50:00Z")) == utc("2025-01-01T00:00:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2024-05-01T12:14:59Z")) == utc("2024-05-01T12:00:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2024-05-01T12:15:00Z")) == utc("2024-05-01T12:15:00Z"))
    }

    @Test func cronOnWeekdays_skipsTheWeekend() {
        // 2024-05-03 is a Friday.
        let rule = cron("0 9 * * 1-5")
        #expect(rule.nextTick(after: utc("2024-05-03T10:00:00Z")) == utc("2024-05-06T09:00:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-03T08:59:59Z")) == utc("2024-05-03T09:00:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2024-05-05T12:00:00Z")) == utc("2024-05-03T09:00:00Z"))
    }

    @Test func cronDayFields_orWhenBothAreRestricted() {
        // The 1st of the month or a Monday: from Thursday 2024-05-02, Monday the 6th comes first;
        // from Friday 2024-05-31, Saturday the 1st.
        let rule = cron("0 12 1 * 1")
        #expect(rule.nextTick(after: utc("2024-05-02T00:00:00Z")) == utc("2024-05-06T12:00:00Z"))
        #expect(rule.nextTick(after: utc("2024-05-31T00:00:00Z")) == utc("2024-06-01T12:00:00Z"))
    }

    @Test func cronOn29February_waitsForALeapYear() {
        let rule = cron("0 0 29 2 *")
        #expect(rule.nextTick(after: utc("2024-03-01T00:00:00Z")) == utc("2028-02-29T00:00:00Z"))
        #expect(rule.nextTick(after: utc("2028-02-28T23:59:00Z")) == utc("2028-02-29T00:00:00Z"))
        #expect(rule.latestTick(atOrBefore: utc("2027-06-01T00:00:00Z")) == utc("2024-02-29T00:00:00Z"))
        // 2100 is not a leap year: eight years from 2096 to 2104.
        #expect(rule.nextTick(after: utc("2096-03-01T00:00:00Z")) == utc("2104-02-29T00:00:00Z"))
    }

    @Test func cronThatNeverFires_hasNoTicks() {
        for expression in ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"] {
            #expect(cron(expression).nextTick(after: utc("2024-05-01T00:00:00Z")) == nil)
            #expect(cron(expression).latestTick(atOrBefore: utc("2024-05-01T00:00:00Z")) == nil)
        }
        #expect(cron("not cron").nextTick(after: utc("2024-05-01T00:00:00Z")) == nil)
    }

    @Test func unusableInputs_haveNoTicks() {
        #expect(ScheduleTrigger.Rule.every(.zero).nextTick(after: Date()) == nil)
        #expect(ScheduleTrigger.Rule.every(.microseconds(10)).latestTick(atOrBefore: Date()) == nil)
        #expect(ScheduleTrigger.Rule.every(.seconds(60)).nextTick(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(cron("* * * * *").nextTick(after: Date(timeIntervalSince1970: .nan)) == nil)
    }

    @Test func latestTick_findsTheNextTick_andNothingLiesBetween() throws {
        let rules: [ScheduleTrigger.Rule] = [
            .every(.seconds(300)), .every(.seconds(90)), .every(.milliseconds(1_500)), .every(.seconds(7 * 86_400)),
            cron("*/15 * * * *"), cron("0 9 * * 1-5"), cron("0 0 29 2 *"), cron("30 2 1,15 * 0"), cron("* * * * *"),
        ]
        var random = SplitMix(seed: 2024)
        for rule in rules {
            for _ in 0 ..< 200 {
                // Anywhere from 1990 to 2060, at sub-millisecond precision.
                let date = Date(timeIntervalSince1970: 631_152_000 + random.nextUnit() * 2_208_988_800)
                let next = try #require(rule.nextTick(after: date), "\(rule) after \(date)")
                let latest = try #require(rule.latestTick(atOrBefore: date), "\(rule) at or before \(date)")
                #expect(next > date && latest <= date)
                #expect(rule.latestTick(atOrBefore: next) == next)
                #expect(rule.nextTick(after: latest) == next)
            }
        }
    }

    @Test func cronSearch_agreesWithAMinuteByMinuteScan() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var random = SplitMix(seed: 99)
        // Each fires at least every 40 days, the length of the scan.
        for expression in ["*/7 3-5 * * *", "0 0 1,15 * 3", "59 23 * * 6", "5 4 * */2 *", "0 12 13 * 5"] {
            let parsed = try CronExpression(expression)
            for _ in 0 ..< 20 {
                // Any time within a year of 2023-11-14T22:13:00Z, and the minute after the one it is in.
                let start = Date(timeIntervalSince1970: 1_699_999_980 + random.nextUnit() * 86_400 * 365)
                var scan = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
                var expected: Date?
                for _ in 0 ..< 60 * 24 * 40 {
                    let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: scan)
                    if let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month,
                       let weekday = parts.weekday,
                       parsed.matches(minute: minute, hour: hour, dayOfMonth: day, month: month, dayOfWeek: weekday - 1)
                    {
                        expected = scan
                        break
                    }
                    scan.addTimeInterval(60)
                }
                let found = try #require(expected, "\(expression) did not fire within 40 days of \(start)")
                #expect(cron(expression).nextTick(after: start) == found, "\(expression) after \(start)")
            }
        }
    }
}

@Suite struct UTCDayTests {
    @Test func daysBreakDownIntoTheGregorianCalendar() {
        let epoch = UTCDay(daysSinceEpoch: 0)
        #expect((epoch.year, epoch.month, epoch.day, epoch.weekday) == (1970, 1, 1, 4))
        let before = UTCDay(daysSinceEpoch: -1)
        #expect((before.year, before.month, before.day, before.weekday) == (1969, 12, 31, 3))
        // 2024-02-29, a Thursday; 2000-03-01, a Wednesday.
        let leap = UTCDay(daysSinceEpoch: 19_782)
        #expect((leap.year, leap.month, leap.day, leap.weekday) == (2024, 2, 29, 4))
        let millennium = UTCDay(daysSinceEpoch: 11_017)
        #expect((millennium.year, millennium.month, millennium.day, millennium.weekday) == (2000, 3, 1, 3))
    }
}
