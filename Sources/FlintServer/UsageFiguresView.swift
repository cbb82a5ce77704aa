public import FlintCore

/// One function's usage (or all functions'), with its cost, as `GET /v1/usage` shows it.
public struct UsageFiguresView: Codable, Sendable, Hashable {
    /// The function; absent in `totals`.
    public var function: String?
    /// Every invocation recorded, `loop-stopped` ones (never run) included.
    public var invocations: Int
    /// Those that ran and failed: every outcome but `ok` and `loop-stopped`.
    public var errors: Int
    /// Count per outcome, every outcome present (0 when none ended so).
    public var outcomes: [String: Int]
    public var coldStarts: Int
    /// Init time of the cold `runtime: lambda` starts (not billed).
    public var initMicros: Int64
    public var durationMicros: Int64
    public var billedMillis: Int64
    public var gbSeconds: Double
    /// User + system CPU time.
    public var cpuMicros: Int64
    /// The largest peak RSS of one invocation.
    public var peakRSSBytes: Int64
    /// Wall-clock time with at least one of these invocations running.
    public var busyMicros: Int64
    /// Invocations that ran: what the per-request price applies to.
    public var billedRequests: Int
    public var requestCost: Double
    public var computeCost: Double
    /// `request_cost + compute_cost`.
    public var cost: Double

    public init(function: String?, _ figures: UsageFigures, prices: PriceTable) {
        self.function = function
        invocations = figures.invocations
        errors = figures.errors
        outcomes = Dictionary(uniqueKeysWithValues: InvocationOutcome.allCases.map { ($0.rawValue, figures.outcomes[$0, default: 0]) })
        coldStarts = figures.coldStarts
        initMicros = figures.initMicros
        durationMicros = figures.durationMicros
        billedMillis = figures.billedMillis
        gbSeconds = figures.gbSeconds
        cpuMicros = figures.cpuMicros
        peakRSSBytes = figures.peakRSSBytes
        busyMicros = figures.busyMicros
        billedRequests = figures.billedRequests
        let cost = figures.cost(under: prices)
        requestCost = cost.requests
        computeCost = cost.compute
        self.cost = cost.total
    }

    enum CodingKeys: String, CodingKey {
        case function, invocations, errors, outcomes
        case coldStarts = "cold_starts"
        case initMicros = "init_us"
        case durationMicros = "duration_us"
        case billedMillis = "billed_ms"
        case gbSeconds = "gb_seconds"
        case cpuMicros = "cpu_us"
        case peakRSSBytes = "peak_rss_bytes"
        case busyMicros = "busy_us"
        case billedRequests = "billed_requests"
        case requestCost = "request_cost"
        case computeCost = "compute_cost"
        case cost
    }
}
