@testable import FlintCore
import Foundation
import Testing

@Suite struct UsageSinceTests {
    private let now = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z

    @Test func durations_countBackFromNow() throws {
        #expect(try UsageSince.parse("24h").start(now: now) == now.addingTimeInterval(-86_400))
        #expect(try UsageSince.parse("7d").start(now: now) == now.addingTimeInterval(-7 * 86_400))
        #expect(try UsageSince.parse("1h30m").start(now: now) == now.addingTimeInterval(-5_400))
        #expect(try UsageSince.parse("250ms").start(now: now) == now.addingTimeInterval(-0.25))
    }

    @Test func noPeriodStartsBeforeTheEpoch() throws {
        let epoch = Date(timeIntervalSince1970: 0)
        #expect(try UsageSince.parse("99999999999d").start(now: now) == epoch)
        #expect(try UsageSince.parse("1900-01-01").start(now: now) == epoch)
    }

    @Test func times_areISO8601() throws {
        #expect(try UsageSince.parse("2026-05-01") == .at(Date(timeIntervalSince1970: 1_777_593_600)))
        #expect(try UsageSince.parse("2026-05-01T12:00:00Z") == .at(Date(timeIntervalSince1970: 1_777_636_800)))
        #expect(try UsageSince.parse("2026-05-01T14:00+02:00") == .at(Date(timeIntervalSince1970: 1_777_636_800)))
        #expect(try UsageSince.parse("2026-05-01T12:00:00.5Z").start(now: now) == Date(timeIntervalSince1970: 1_777_636_800.5))
    }

    @Test func badText_saysWhichFormsAreAccepted() {
        #expect(throws: UsageSinceError(
            text: "yesterday",
            problem: "is neither a duration back from now (24h, 7d, 90m, 1h30m) nor an ISO 8601 time (2026-05-01, 2026-05-01T12:00:00Z, 2026-05-01T14:00+02:00)"
        )) { try UsageSince.parse("yesterday") }
        #expect(throws: UsageSinceError(text: "24", problem: "has no unit (24h, 7d, 90m: hours, days, minutes back from now)")) {
            try UsageSince.parse("24")
        }
        #expect(throws: UsageSinceError.self) { try UsageSince.parse("-24h") }
        let noZone = #expect(throws: UsageSinceError.self) { try UsageSince.parse("2026-05-01T12:00:00") }
        #expect(noZone?.description.contains("a time needs Z or an offset") == true)
        #expect(throws: UsageSinceError.self) { try UsageSince.parse("2026-02-30") }
        #expect(throws: UsageSinceError(text: "0s", problem: "is an empty period (give a length above 0)")) { try UsageSince.parse("0s") }
    }

    @Test func aTimeNotInThePast_isRefused() {
        let error = #expect(throws: UsageSinceError.self) { try UsageSince.parse("2030-01-01").start(now: now) }
        #expect(error?.description == #""2030-01-01T00:00:00.000Z" is not in the past (it is now 2026-05-28T20:26:40.000Z); give an earlier time or a duration such as 24h"#)
    }
}
