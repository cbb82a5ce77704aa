import Testing
import FlintCore

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("30s", .seconds(30)),
        ("5m", .seconds(300)),
        ("1h", .seconds(3600)),
        ("7d", .seconds(7 * 86_400)),
        ("1m30s", .seconds(90)),
        ("1d12h", .seconds(36 * 3600)),
        ("1h30m", .seconds(5400)),
        ("2s500ms", .milliseconds(2500)),
        ("0s", .zero),
    ])
    func parse_readsUnitsAndCompounds(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "30", "30 parsecs", "30S", "1.5s", "-5s", "s", "30s1m", "1m1m", "5 m", "1h1d", "1D", "1w", "99999999999999999999h"])
    func parse_refusesWhatIsNotADuration(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"),
        (.seconds(30), "30s"),
        (.seconds(90), "1m30s"),
        (.seconds(3600), "1h"),
        (.seconds(86_400), "1d"),
        (.seconds(365 * 86_400), "365d"),
        (.seconds(36 * 3600), "1d12h"),
        (.milliseconds(3_723_004), "1h2m3s4ms"),
        (.zero, "0s"),
    ])
    func format_usesLargestUnitsFirst(duration: Duration, expected: String) {
        #expect(DurationText.format(duration) == expected)
    }

    @Test func format_thenParse_roundTrips() {
        for millis in [1, 999, 1_000, 59_999, 60_000, 61_001, 3_600_000, 86_400_000, 90_061_001, 31_536_000_000] as [Int64] {
            let duration = Duration.milliseconds(millis)
            #expect(DurationText.parse(DurationText.format(duration)) == duration)
        }
    }
}
