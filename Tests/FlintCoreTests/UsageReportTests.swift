import FlintCore
import Foundation
import Testing

@Suite struct UsageReportTests {
    @Test func figures_billLikeLambda() {
        let figures = UsageFigures(
            outcomes: [.ok: 3, .error: 1, .timeout: 1, .loopStopped: 2], durationMicros: 1_000,
            billedMillis: 2_000, billedRequests: 5, memoryMiBMillis: 512 * 2_000, cpuMicros: 10, peakRSSBytes: 1, coldStarts: 5
        )
        #expect(figures.invocations == 7)
        #expect(figures.errors == 2)
        #expect(figures.billedRequests == 5)
        #expect(figures.gbSeconds == 1)  // 0.5 GB × 2 s
        let cost = figures.cost(under: PriceTable())
        #expect(cost.requests == 5 * 0.20 / 1_000_000)
        #expect(cost.compute == 0.0000166667)
        #expect(cost.total == cost.requests + cost.compute)
        #expect(figures.cost(under: PriceTable(gbSecond: 0, requestsPerMillion: 0)).total == 0)
    }

    @Test func idleTime_isThePeriodLessBusyTime() {
        let since = Date(timeIntervalSince1970: 1_000)
        let report = UsageReport(
            since: since, until: since.addingTimeInterval(60), prices: PriceTable(), retention: LedgerSettings.defaultRetention,
            measurement: UsageMeasurement(
                byFunction: ["b": UsageFigures(busyMicros: 2_000_000), "a": UsageFigures(busyMicros: 1_500_000)],
                totals: UsageFigures(busyMicros: 3_000_000))
        )
        #expect(report.periodMicros == 60_000_000)
        #expect(report.idleMicros == 57_000_000)
        #expect(report.functions.map(\.name) == ["a", "b"])
    }

    @Test func recordsKeptSince_isTheRetentionBackFromTheReportsEnd() {
        let until = Date(timeIntervalSince1970: 10_000_000)
        let measurement = UsageMeasurement(byFunction: [:], totals: UsageFigures())
        let report = UsageReport(
            since: until.addingTimeInterval(-90 * 86_400), until: until, prices: PriceTable(), retention: .seconds(30 * 86_400),
            measurement: measurement
        )
        #expect(report.recordsKeptSince == until.addingTimeInterval(-30 * 86_400))
    }
}
