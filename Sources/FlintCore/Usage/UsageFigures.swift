/// What the invocations of one function (or of all of them) in a period used, as the ledger
/// records it. Sums are exact integers; the derived figures follow Lambda's billing.
public struct UsageFigures: Sendable, Hashable {
    /// Invocations by how they ended; `loop-stopped` ones were recorded but never run.
    public var outcomes: [InvocationOutcome: Int]
    /// Wall-clock time of every invocation, summed (µs): concurrent invocations all count.
    public var durationMicros: Int64
    /// Durations rounded up to the millisecond each, summed, as Lambda bills.
    public var billedMillis: Int64
    /// Requests billed: the invocations that reached a handler (each bills at least 1 ms). One
    /// stopped by the loop guard, or ended before its process started or its instance took it,
    /// costs nothing.
    public var billedRequests: Int
    /// Memory limit (MiB) × billed milliseconds, summed: GB-seconds, exactly.
    public var memoryMiBMillis: Int64
    /// User and system CPU time, summed (µs).
    public var cpuMicros: Int64
    /// The largest peak resident set size of any one invocation (bytes).
    public var peakRSSBytes: Int64
    /// Invocations that started a handler process (rather than reusing a warm one).
    public var coldStarts: Int
    /// Init time of cold `runtime: lambda` starts, summed (µs): from the instance's spawn to its
    /// first request for an event. Shown, not billed: the billed duration is the invocations' own.
    public var initMicros: Int64
    /// Wall-clock time with at least one of these invocations running (µs): the union of their
    /// intervals, so it never exceeds the period, however many ran at once.
    public var busyMicros: Int64

    public init(
        outcomes: [InvocationOutcome: Int] = [:], durationMicros: Int64 = 0, billedMillis: Int64 = 0, billedRequests: Int = 0,
        memoryMiBMillis: Int64 = 0, cpuMicros: Int64 = 0, peakRSSBytes: Int64 = 0, coldStarts: Int = 0,
        initMicros: Int64 = 0, busyMicros: Int64 = 0
    ) {
        self.outcomes = outcomes
        self.durationMicros = durationMicros
        self.billedMillis = billedMillis
        self.billedRequests = billedRequests
        self.memoryMiBMillis = memoryMiBMillis
        self.cpuMicros = cpuMicros
        self.peakRSSBytes = peakRSSBytes
        self.coldStarts = coldStarts
        self.initMicros = initMicros
        self.busyMicros = busyMicros
    }

    /// Every invocation recorded, run or not.
    public var invocations: Int { outcomes.values.reduce(0, +) }

    /// Invocations that ran and failed (error, timeout, oom, killed, output-too-large).
    public var errors: Int {
        outcomes.reduce(0) { sum, entry in entry.key.isSuccess || entry.key == .loopStopped ? sum : sum + entry.value }
    }

    /// Memory limit in GB (1 GB = 1024 MiB, Lambda's convention) × billed seconds.
    public var gbSeconds: Double { Double(memoryMiBMillis) / 1024 / 1000 }

    /// What these figures cost under `prices`.
    public func cost(under prices: PriceTable) -> UsageCost {
        prices.cost(requests: billedRequests, gbSeconds: gbSeconds)
    }
}
