public import FlintCore
public import Foundation
internal import GRDB

extension InvocationLedger {
    /// What the invocations that started in `since ..< until` used, per function and in all,
    /// optionally of one function only.
    ///
    /// One aggregate query sums the figures (the rows never leave SQLite), and one ordered scan
    /// over the invocations' intervals measures busy time, holding one open interval per function;
    /// both read the same snapshot. Both walk an index on the start time.
    public func usage(since: Date, until: Date, function: String? = nil) async throws -> UsageMeasurement {
        let start = EpochMicros.from(since)
        let range = start ..< max(start, EpochMicros.from(until))
        return try await database.pool.read { db in try Self.usage(in: range, function: function, db) }
    }

    static func usage(in range: Range<Int64>, function: String?, _ db: Database) throws -> UsageMeasurement {
        var byFunction = try sums(in: range, function: function, db)
        let busy = try busyMicros(in: range, function: function, db)
        var totals = UsageFigures()
        for (name, figures) in byFunction {
            byFunction[name]?.busyMicros = busy.byFunction[name] ?? 0
            totals = totals.adding(figures, busyMicros: 0)
        }
        totals.busyMicros = busy.all
        return UsageMeasurement(byFunction: byFunction, totals: totals)
    }

    /// Grouped by outcome too, so each outcome's count comes out of the same pass. With a function,
    /// the (function, started_at_us) index answers; without, the started_at_us one.
    static func sumsSQL(oneFunction: Bool) -> String {
        """
        SELECT function, outcome, COUNT(*), SUM(duration_us), SUM(billed_ms), SUM(memory_limit_mb * billed_ms),
            SUM(user_cpu_us + system_cpu_us), MAX(peak_rss_bytes), SUM(cold_start), COALESCE(SUM(init_duration_us), 0)
        FROM invocations
        WHERE \(periodCondition(oneFunction: oneFunction))
        GROUP BY function, outcome
        """
    }

    static func periodCondition(oneFunction: Bool) -> String {
        oneFunction ? "function = ? AND started_at_us >= ? AND started_at_us < ?" : "started_at_us >= ? AND started_at_us < ?"
    }

    static func arguments(_ range: Range<Int64>, _ function: String?) -> StatementArguments {
        function.map { [$0, range.lowerBound, range.upperBound] } ?? [range.lowerBound, range.upperBound]
    }

    private static func sums(in range: Range<Int64>, function: String?, _ db: Database) throws -> [String: UsageFigures] {
        var byFunction: [String: UsageFigures] = [:]
        let rows = try Row.fetchCursor(db, sql: sumsSQL(oneFunction: function != nil), arguments: arguments(range, function))
        while let row = try rows.next() {
            let name: String = row[0]
            // An outcome another program wrote that Flint does not know reads as an error, as in listings.
            let outcome = InvocationOutcome(rawValue: row[1]) ?? .error
            let group = UsageFigures(
                outcomes: [outcome: row[2]], durationMicros: row[3], billedMillis: row[4], memoryMiBMillis: row[5],
                cpuMicros: row[6], peakRSSBytes: row[7], coldStarts: row[8], initMicros: row[9]
            )
            byFunction[name] = (byFunction[name] ?? UsageFigures()).adding(group, busyMicros: 0)
        }
        return byFunction
    }

    /// Intervals of invocations that ran (a loop-stopped one never did), earliest start first.
    /// An interval is the start and the duration: the handler's own time, without Flint's work
    /// after its exit (and unmoved by a wall clock stepped mid-invocation, unlike the end).
    static func intervalsSQL(oneFunction: Bool) -> String {
        """
        SELECT function, started_at_us, duration_us
        FROM invocations
        WHERE \(periodCondition(oneFunction: oneFunction)) AND outcome != 'loop-stopped'
        ORDER BY started_at_us
        """
    }

    /// The length of the union of the invocations' intervals, each clipped to the period: per
    /// function and for all. Sorted by start, an interval either extends the one being merged or
    /// starts after it, which then is complete.
    private static func busyMicros(in range: Range<Int64>, function: String?, _ db: Database) throws -> (all: Int64, byFunction: [String: Int64]) {
        var all = IntervalUnion()
        var byFunction: [String: IntervalUnion] = [:]
        let rows = try Row.fetchCursor(db, sql: intervalsSQL(oneFunction: function != nil), arguments: arguments(range, function))
        while let row = try rows.next() {
            let start: Int64 = row[1]
            let end = min(start + max(0, row[2] as Int64), range.upperBound)
            all.add(start, end)
            byFunction[row[0], default: IntervalUnion()].add(start, end)
        }
        return (all.total, byFunction.mapValues(\.total))
    }
}
