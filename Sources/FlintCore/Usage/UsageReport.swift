public import Foundation

/// What `flint usage` and `GET /v1/usage` report: the period, what ran in it and what that cost.
///
/// Only running handlers are billed, as on Lambda: the period splits into busy time (at least one
/// invocation running) and idle time, and idle time costs nothing however long it is.
public struct UsageReport: Sendable {
    /// Invocations that started at or after this moment are counted...
    public var since: Date
    /// ...and before this one (when the report was made).
    public var until: Date
    public var prices: PriceTable
    /// How long the ledger keeps records (`ledger.retention`): a period reaching further back
    /// may miss invocations that started before `until − retention` (all but the last attempts
    /// of dead letters are deleted, at the next pruning pass).
    public var retention: Duration
    /// By function name, in name order.
    public var functions: [(name: String, figures: UsageFigures)]
    public var totals: UsageFigures

    public init(
        since: Date, until: Date, prices: PriceTable, retention: Duration, measurement: UsageMeasurement
    ) {
        self.since = since
        self.until = until
        self.prices = prices
        self.retention = retention
        self.functions = measurement.byFunction.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.totals = measurement.totals
    }

    /// The period's wall-clock length (µs).
    public var periodMicros: Int64 { max(0, Int64(((until.timeIntervalSince1970 - since.timeIntervalSince1970) * 1_000_000).rounded())) }

    /// The oldest moment whose invocations the ledger still keeps.
    public var recordsKeptSince: Date { until.addingTimeInterval(-retention.timeInterval) }

    /// The part of the period with no invocation running (µs): it accrued nothing.
    public var idleMicros: Int64 { max(0, periodMicros - totals.busyMicros) }
}
