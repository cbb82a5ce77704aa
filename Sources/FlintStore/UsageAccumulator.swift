internal import FlintCore

/// One function's figures as a usage scan adds its invocations up: plain integers per row, the
/// outcome counts in an array, so no dictionary is touched per invocation.
struct UsageAccumulator {
    /// The outcomes in a fixed order: a count's index in `outcomeCounts`.
    private static let outcomeOrder = InvocationOutcome.allCases
    private var outcomeCounts = [Int](repeating: 0, count: outcomeOrder.count)
    private var durationMicros: Int64 = 0
    private var billedMillis: Int64 = 0
    private var memoryMiBMillis: Int64 = 0
    private var cpuMicros: Int64 = 0
    private var peakRSSBytes: Int64 = 0
    private var coldStarts = 0
    private var initMicros: Int64 = 0
    /// The union of the function's intervals.
    private var busy = IntervalUnion()

    /// Adds one invocation; `interval` is nil for one that never ran (loop-stopped).
    mutating func add(
        outcome: InvocationOutcome, durationMicros: Int64, billedMillis: Int64, memoryMB: Int64, cpuMicros: Int64,
        peakRSSBytes: Int64, coldStart: Bool, initMicros: Int64, interval: (start: Int64, end: Int64)?
    ) {
        outcomeCounts[Self.index(of: outcome)] += 1
        self.durationMicros += durationMicros
        self.billedMillis += billedMillis
        memoryMiBMillis += memoryMB * billedMillis
        self.cpuMicros += cpuMicros
        self.peakRSSBytes = max(self.peakRSSBytes, peakRSSBytes)
        if coldStart { coldStarts += 1 }
        self.initMicros += initMicros
        if let interval { busy.add(interval.start, interval.end) }
    }

    var figures: UsageFigures {
        var outcomes: [InvocationOutcome: Int] = [:]
        for (index, outcome) in Self.outcomeOrder.enumerated() where outcomeCounts[index] > 0 {
            outcomes[outcome] = outcomeCounts[index]
        }
        return UsageFigures(
            outcomes: outcomes, durationMicros: durationMicros, billedMillis: billedMillis, memoryMiBMillis: memoryMiBMillis,
            cpuMicros: cpuMicros, peakRSSBytes: peakRSSBytes, coldStarts: coldStarts, initMicros: initMicros,
            busyMicros: busy.total
        )
    }

    private static func index(of outcome: InvocationOutcome) -> Int {
        outcomeOrder.firstIndex(of: outcome) ?? 0
    }
}
