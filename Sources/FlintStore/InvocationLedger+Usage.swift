public import FlintCore
public import Foundation
internal import GRDB

extension InvocationLedger {
    /// What the invocations that started in `since ..< until` used, per function and in all,
    /// optionally of one function only.
    ///
    /// One scan of an index on the start time, in its order, sums the figures and measures busy
    /// time together, holding one accumulator and one open interval per function. Grouping in SQL
    /// instead would sort every row of the period first (`GROUP BY` takes a temporary B-tree):
    /// on two million invocations that sort was three quarters of a report's time.
    public func usage(since: Date, until: Date, function: String? = nil) async throws -> UsageMeasurement {
        let start = EpochMicros.from(since)
        let range = start ..< max(start, EpochMicros.from(until))
        return try await database.pool.read { db in try Self.usage(in: range, function: function, db) }
    }

    static func usage(in range: Range<Int64>, function: String?, _ db: Database) throws -> UsageMeasurement {
        var all = IntervalUnion()
        var byFunction: [String: UsageAccumulator] = [:]
        let rows = try Row.fetchCursor(db, sql: usageSQL(oneFunction: function != nil), arguments: arguments(range, function))
        while let row = try rows.next() {
            let name: String = row[0]
            // An outcome another program wrote that Flint does not know reads as an error, as in listings.
            let outcome = InvocationOutcome(rawValue: row[1]) ?? .error
            let start: Int64 = row[2]
            let duration: Int64 = row[3]
            let initMicros: Int64? = row[9]
            // Clipped to the period's end (start is before it), without adding past Int64.max.
            let end = max(0, duration) >= range.upperBound - start ? range.upperBound : start + max(0, duration)
            if InvocationRecord.reachedHandler(durationMicros: duration, outcome: outcome) { all.add(start, end) }
            try byFunction[name, default: UsageAccumulator()].add(
                outcome: outcome, durationMicros: duration, billedMillis: row[4], memoryMB: row[5], cpuMicros: row[6],
                peakRSSBytes: row[7], coldStart: row[8], initMicros: initMicros ?? 0, interval: (start, end)
            )
        }
        // Summed with the checks each function's sums had: rows another program wrote may fit one
        // function's sums and not all of them.
        var totals = UsageAccumulator()
        for one in byFunction.values { try totals.merge(one) }
        var figures = totals.figures
        figures.busyMicros = all.total
        return UsageMeasurement(byFunction: byFunction.mapValues(\.figures), totals: figures)
    }

    /// Every figure of the invocations that started in the period, in start order: with a
    /// function, the (function, started_at_us) index answers; without, the started_at_us one.
    /// An interval is the start and the duration: the handler's own time, without Flint's work
    /// after its exit (and unmoved by a wall clock stepped mid-invocation, unlike the end).
    static func usageSQL(oneFunction: Bool) -> String {
        """
        SELECT function, outcome, started_at_us, duration_us, billed_ms, memory_limit_mb, user_cpu_us + system_cpu_us,
            peak_rss_bytes, cold_start, init_duration_us
        FROM invocations
        WHERE \(oneFunction ? "function = ? AND " : "")started_at_us >= ? AND started_at_us < ?
        ORDER BY started_at_us
        """
    }

    static func arguments(_ range: Range<Int64>, _ function: String?) -> StatementArguments {
        function.map { [$0, range.lowerBound, range.upperBound] } ?? [range.lowerBound, range.upperBound]
    }
}
