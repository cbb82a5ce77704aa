/// A day of the proleptic Gregorian calendar in UTC, counted from 1970-01-01, broken down without
/// Calendar (Howard Hinnant's `civil_from_days`): schedules search many days, and the machine's
/// time zone must not move them.
struct UTCDay {
    /// Days since 1970-01-01 (negative before it).
    let daysSinceEpoch: Int64
    let year: Int64
    /// 1...12.
    let month: Int
    /// 1...31.
    let day: Int
    /// 0...6, Sunday being 0.
    let weekday: Int

    init(daysSinceEpoch days: Int64) {
        daysSinceEpoch = days
        let shifted = days + 719_468  // days since 0000-03-01: years start in March, leap day last
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // 1970-01-01 was a Thursday.
        let remainder = (days + 4) % 7
        weekday = Int(remainder < 0 ? remainder + 7 : remainder)
    }
}
