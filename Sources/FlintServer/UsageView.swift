public import FlintCore
public import Foundation

/// A usage report as `GET /v1/usage` and `flint usage --json` show it.
public struct UsageView: Codable, Sendable, Hashable {
    public var period: Period
    public var pricing: Pricing
    /// One entry per function that has invocations in the period, by name.
    public var functions: [UsageFiguresView]
    /// All functions together (without `function`).
    public var totals: UsageFiguresView

    /// The period, split into time with at least one handler running and idle time, which cost nothing.
    public struct Period: Codable, Sendable, Hashable {
        public var since: Date
        public var until: Date
        /// `until − since`.
        public var lengthMicros: Int64
        /// At least one invocation running: the union of their intervals.
        public var busyMicros: Int64
        /// No invocation running: `length − busy`.
        public var idleMicros: Int64
        /// What the idle time cost: always 0, for nothing runs then.
        public var idleCost: Double
        /// The oldest moment whose invocations the ledger still keeps (now − `ledger.retention`):
        /// a period starting earlier may miss invocations before it. Optional only so that a
        /// newer `flint usage` can read a daemon that predates it.
        public var recordsKeptSince: Date?

        enum CodingKeys: String, CodingKey {
            case since, until
            case lengthMicros = "length_us"
            case busyMicros = "busy_us"
            case idleMicros = "idle_us"
            case idleCost = "idle_cost"
            case recordsKeptSince = "records_kept_since"
        }
    }

    /// The prices the costs were worked out with, and where they come from.
    public struct Pricing: Codable, Sendable, Hashable {
        public var gbSecond: Double
        public var requestsPerMillion: Double
        public var currency: String
        public var source: String

        enum CodingKeys: String, CodingKey {
            case gbSecond = "gb_second"
            case requestsPerMillion = "requests_per_million"
            case currency, source
        }
    }

    public init(_ report: UsageReport) {
        period = Period(
            since: report.since, until: report.until, lengthMicros: report.periodMicros,
            busyMicros: report.totals.busyMicros, idleMicros: report.idleMicros, idleCost: 0,
            recordsKeptSince: report.recordsKeptSince
        )
        let prices = report.prices
        pricing = Pricing(
            gbSecond: prices.gbSecond, requestsPerMillion: prices.requestsPerMillion, currency: prices.currency, source: prices.source
        )
        functions = report.functions.map { UsageFiguresView(function: $0.name, $0.figures, prices: prices) }
        totals = UsageFiguresView(function: nil, report.totals, prices: prices)
    }
}
