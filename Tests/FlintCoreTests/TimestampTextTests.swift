@testable import FlintCore
import Foundation
import Testing

@Suite struct TimestampTextTests {
    @Test func dates_areMidnightUTC() {
        #expect(TimestampText.parse("1970-01-01") == Date(timeIntervalSince1970: 0))
        #expect(TimestampText.parse("2000-03-01") == Date(timeIntervalSince1970: 951_868_800))
        #expect(TimestampText.parse("2024-02-29") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(TimestampText.parse("1969-12-31") == Date(timeIntervalSince1970: -86_400))
    }

    @Test func dateTimes_takeTheirZone() {
        let noon = Date(timeIntervalSince1970: 1_777_636_800)  // 2026-05-01T12:00:00Z
        for text in ["2026-05-01T12:00:00Z", "2026-05-01T12:00Z", "2026-05-01t12:00:00z", "2026-05-01 12:00:00Z",
                     "2026-05-01T14:00:00+02:00", "2026-05-01T14:00:00+0200", "2026-05-01T14:00+02", "2026-05-01T07:30:00-04:30"] {
            #expect(TimestampText.parse(text) == noon, "\(text)")
        }
        #expect(TimestampText.parse("2026-05-01T12:00:00.250Z") == noon.addingTimeInterval(0.25))
    }

    @Test func roundTripsFlintsOwnTimestamps() {
        let date = Date(timeIntervalSince1970: 1_780_000_123.456)
        #expect(TimestampText.parse(UTCTimestamp(date).iso8601) == date)
    }

    @Test func everythingElse_isRefused() {
        for text in ["", "2026", "2026-5-1", "2026-05-01T12:00:00", "2026-13-01", "2026-02-29", "2026-04-31",
                     "2026-05-01T24:00Z", "2026-05-01T12:60Z", "2026-05-01T12:00:61Z", "2026-05-01T12:00:00.Z",
                     "2026-05-01T12Z", "2026-05-01T12:00:00+2", "2026-05-01T12:00:00Z extra", "24h"] {
            #expect(TimestampText.parse(text) == nil, "\(text)")
        }
    }

    @Test func daysSinceEpoch_isTheInverseOfUTCDay() {
        for days: Int64 in stride(from: -800_000, through: 800_000, by: 997) {
            let day = UTCDay(daysSinceEpoch: days)
            #expect(TimestampText.daysSinceEpoch(year: Int(day.year), month: day.month, day: day.day) == days)
        }
    }

    @Test func basicForm_isUTCToTheSecond_andNothingElse() {
        #expect(TimestampText.parseBasic("20261125T024252Z") == Date(timeIntervalSince1970: 1_795_574_572))
        for text in ["20261125T024252", "2026-11-25T02:42:52Z", "20260230T000000Z", "20261125T246000Z", "20261125T024252Zx", ""] {
            #expect(TimestampText.parseBasic(text) == nil, "\(text)")
        }
    }
}
