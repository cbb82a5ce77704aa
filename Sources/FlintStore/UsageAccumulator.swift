internal import FlintCore

/// One function's figures as a usage scan adds its invocations up: the sums go straight into a
/// `UsageFigures`, while the outcome counts (an array) and busy time (an interval union) wait for
/// the end, so no outcome dictionary is touched per invocation.
struct UsageAccumulator {
    /// A sum went past `Int64.max`: only rows no Flint wrote can do that (another program's).
    struct Overflow: Error, CustomStringConvertible {
        var description: String { "integer overflow while adding up the ledger's invocations" }
    }

    /// The outcomes in a fixed order: a count's index in `outcomeCounts`.
    private static let outcomeOrder = InvocationOutcome.allCases
    private var outcomeCounts = [Int](repeating: 0, count: outcomeOrder.count)
    /// Every figure but the outcomes and busy time.
    private var sums = UsageFigures()
    /// The union of the function's intervals.
    private var busy = IntervalUnion()

    /// Adds one invocation (its interval is where it kept the function busy). One that never
    /// reached a handler (`InvocationRecord.reachedHandler`: no duration) bills nothing and keeps
    /// nobody busy, whatever `billed_ms` a Flint before that rule stored for it.
    mutating func add(
        outcome: InvocationOutcome, durationMicros: Int64, billedMillis storedBilledMillis: Int64, memoryMB: Int64, cpuMicros: Int64,
        peakRSSBytes: Int64, coldStart: Bool, initMicros: Int64, interval: (start: Int64, end: Int64)
    ) throws(Overflow) {
        let reachedHandler = InvocationRecord.reachedHandler(durationMicros: durationMicros, outcome: outcome)
        let billedMillis = reachedHandler ? storedBilledMillis : 0
        outcomeCounts[Self.index(of: outcome)] += 1
        try Self.add(durationMicros, to: &sums.durationMicros)
        try Self.add(billedMillis, to: &sums.billedMillis)
        if reachedHandler { sums.billedRequests += 1 }
        let (memoryMillis, overflow) = memoryMB.multipliedReportingOverflow(by: billedMillis)
        guard !overflow else { throw Overflow() }
        try Self.add(memoryMillis, to: &sums.memoryMiBMillis)
        try Self.add(cpuMicros, to: &sums.cpuMicros)
        sums.peakRSSBytes = max(sums.peakRSSBytes, peakRSSBytes)
        if coldStart { sums.coldStarts += 1 }
        try Self.add(initMicros, to: &sums.initMicros)
        if reachedHandler { busy.add(interval.start, interval.end) }
    }

    /// Adds everything `other` has summed, with the same checks; busy time is left out, as the
    /// intervals of two functions overlap: the caller measures their union itself.
    mutating func merge(_ other: UsageAccumulator) throws(Overflow) {
        for index in outcomeCounts.indices { outcomeCounts[index] += other.outcomeCounts[index] }
        try Self.add(other.sums.durationMicros, to: &sums.durationMicros)
        try Self.add(other.sums.billedMillis, to: &sums.billedMillis)
        sums.billedRequests += other.sums.billedRequests
        try Self.add(other.sums.memoryMiBMillis, to: &sums.memoryMiBMillis)
        try Self.add(other.sums.cpuMicros, to: &sums.cpuMicros)
        sums.peakRSSBytes = max(sums.peakRSSBytes, other.sums.peakRSSBytes)
        sums.coldStarts += other.sums.coldStarts
        try Self.add(other.sums.initMicros, to: &sums.initMicros)
    }

    var figures: UsageFigures {
        var figures = sums
        for (index, outcome) in Self.outcomeOrder.enumerated() where outcomeCounts[index] > 0 {
            figures.outcomes[outcome] = outcomeCounts[index]
        }
        figures.busyMicros = busy.total
        return figures
    }

    /// As SQL's SUM does, a sum that does not fit fails instead of wrapping around (or trapping).
    private static func add(_ value: Int64, to sum: inout Int64) throws(Overflow) {
        let (result, overflow) = sum.addingReportingOverflow(value)
        guard !overflow else { throw Overflow() }
        sum = result
    }

    private static func index(of outcome: InvocationOutcome) -> Int {
        outcomeOrder.firstIndex(of: outcome) ?? 0
    }
}
