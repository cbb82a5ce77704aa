import Testing
@testable import FlintCore

@Suite struct CronExpressionTests {
    @Test(arguments: ["* * * * *", "*/5 * * * *", "0 0 * * *", "0,30 9-17 * * 1-5", "0-59/15 */2 1,15 1-12/3 0,7", "59 23 31 12 7"])
    func validExpressions_parse(text: String) throws {
        _ = try CronExpression(text)
    }

    @Test func fields_expandToTheirValues() throws {
        let cron = try CronExpression("0,30 9-17/4 1,15 */6 5-7")
        #expect(cron.minutes == [0, 30])
        #expect(cron.hours == [9, 13, 17])
        #expect(cron.daysOfMonth == [1, 15])
        #expect(cron.months == [1, 7])
        #expect(cron.daysOfWeek == [5, 6, 0])
        #expect(cron.description == "0,30 9-17/4 1,15 */6 5-7")
    }

    @Test(arguments: [
        ("*/5 * * *", "has 4 fields, needs 5: minute hour day-of-month month day-of-week"),
        ("* * * * * *", "has 6 fields, needs 5: minute hour day-of-month month day-of-week"),
        ("60 * * * *", "minute 60 is out of range (0-59)"),
        ("* 24 * * *", "hour 24 is out of range (0-23)"),
        ("* * 0 * *", "day-of-month 0 is out of range (1-31)"),
        ("* * * 13 *", "month 13 is out of range (1-12)"),
        ("* * * * 8", "day-of-week 8 is out of range (0-7)"),
        ("*/0 * * * *", "minute step \"0\" must be a number from 1 to 59"),
        ("5/15 * * * *", "minute step \"5/15\" needs * or a range before /, e.g. */15 or 5-59/15"),
        ("30-10 * * * *", "minute range \"30-10\" runs backwards; write 10-30"),
        ("1,,2 * * * *", "minute \"\" is not a number, range, list or step (use *, 5, 1-5, 1,15 or */10)"),
        ("* * * JAN *", "month \"JAN\" is not a number, range, list or step (use *, 5, 1-5, 1,15 or */10)"),
        ("@daily", #"@daily is a macro, which Flint's cron does not take; write @daily as "0 0 * * *": minute hour day-of-month month day-of-week"#),
        ("@reboot", "@reboot is a macro, which Flint's cron does not take; write the five fields: minute hour day-of-month month day-of-week"),
        ("@every 5m", "@every is a macro, which Flint's cron does not take; a schedule trigger's every: says it (every: 5m)"),
        ("0 0 30 2 *", "never fires: no month it names has a day it names (30 of month 2); check the day-of-month and month fields"),
        ("0 0 31 2,4,6,9,11 *", "never fires: no month it names has a day it names (31 of month 2,4,6,9,11); check the day-of-month and month fields"),
    ])
    func invalidExpressions_sayWhichFieldIsWrong(text: String, message: String) {
        #expect(throws: CronExpressionError(message)) { try CronExpression(text) }
    }

    /// A day some month names has, once in a while included; and with a day of week too, either fires.
    @Test(arguments: ["0 0 29 2 *", "0 0 31 1-12 *", "0 0 30 2 1", "0 0 31 4,5 *"])
    func expressionsThatFire_evenRarely_areTaken(text: String) {
        #expect(throws: Never.self) { try CronExpression(text) }
    }

    @Test func dayFields_orWhenBothRestricted_andWhenOneIsStar() throws {
        // 1st of the month OR a Monday, as cron has it.
        let both = try CronExpression("0 12 1 * 1")
        #expect(both.matches(minute: 0, hour: 12, dayOfMonth: 1, month: 6, dayOfWeek: 3))
        #expect(both.matches(minute: 0, hour: 12, dayOfMonth: 9, month: 6, dayOfWeek: 1))
        #expect(!both.matches(minute: 0, hour: 12, dayOfMonth: 9, month: 6, dayOfWeek: 3))
        // Mondays only: day-of-month is *.
        let mondays = try CronExpression("0 12 * * 1")
        #expect(mondays.matches(minute: 0, hour: 12, dayOfMonth: 9, month: 6, dayOfWeek: 1))
        #expect(!mondays.matches(minute: 0, hour: 12, dayOfMonth: 1, month: 6, dayOfWeek: 3))
        #expect(!mondays.matches(minute: 1, hour: 12, dayOfMonth: 9, month: 6, dayOfWeek: 1))
    }
}
