import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct InvocationLedgerUsageTests {
    private static let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// An invocation that started `offset` seconds after `start` and ran `micros`.
    private static func record(
        _ function: String, at offset: Double, micros: Int64, memory: Int = 256, outcome: InvocationOutcome = .ok,
        peak: Int64 = 1_000_000, cpu: (Int64, Int64) = (700, 300), cold: Bool = true, initMicros: Int64? = nil
    ) -> InvocationLedger.Entry {
        let startedAt = start.addingTimeInterval(offset)
        return .init(record: InvocationRecord(
            id: InvocationRequest.newID(), function: function, trigger: nil, source: .cli, attempt: 1,
            startedAt: startedAt, endedAt: startedAt.addingTimeInterval(Double(micros) / 1e6), durationMicros: micros,
            memoryLimitMB: memory, peakRSSBytes: peak, userCPUMicros: cpu.0, systemCPUMicros: cpu.1,
            exitCode: outcome == .ok ? 0 : 1, signal: nil, coldStart: cold, outcome: outcome, errorMessage: nil,
            initDurationMicros: initMicros
        ), log: Data())
    }

    private static func ledger(in directory: TemporaryDirectory) throws -> InvocationLedger {
        InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
    }

    @Test func sums_perFunction_andTotals_matchTheRecords() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        let inside = [
            Self.record("resize", at: 10, micros: 1_500, memory: 512, peak: 9_000_000, initMicros: 250_000),
            Self.record("resize", at: 11, micros: 2_500, memory: 512, cpu: (10, 5), cold: false),  // a second ok: groups sum
            Self.record("resize", at: 20, micros: 2_000_001, memory: 512, outcome: .timeout, cold: false),
            Self.record("resize", at: 30, micros: 999, memory: 1024, outcome: .error, cpu: (50, 25)),
            Self.record("echo", at: 15, micros: 300, memory: 128, peak: 2_000_000),
            Self.record("echo", at: 16, micros: 0, memory: 128, outcome: .loopStopped, peak: 0, cpu: (0, 0), cold: false),
            // Flint stopped before an instance took it: recorded, never reached a handler.
            Self.record("echo", at: 17, micros: 0, memory: 128, outcome: .killed, peak: 0, cpu: (0, 0), cold: false),
        ]
        let outside = [
            Self.record("resize", at: -0.000_001, micros: 5_000_000),  // started before the period
            Self.record("echo", at: 100, micros: 1_000),  // at its end: excluded
        ]
        try await ledger.append(inside + outside)

        let usage = try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(100))
        #expect(Set(usage.byFunction.keys) == ["resize", "echo"])
        for (name, figures) in usage.byFunction {
            let records = inside.map(\.record).filter { $0.function == name }
            #expect(figures.invocations == records.count)
            #expect(figures.outcomes == Dictionary(grouping: records, by: \.outcome).mapValues(\.count))
            #expect(figures.durationMicros == records.map(\.durationMicros).reduce(0, +))
            #expect(figures.billedMillis == records.map(\.billedMillis).reduce(0, +))
            #expect(abs(figures.gbSeconds - records.map(\.gbSeconds).reduce(0, +)) < 1e-12)
            #expect(figures.cpuMicros == records.map { $0.userCPUMicros + $0.systemCPUMicros }.reduce(0, +))
            #expect(figures.peakRSSBytes == records.map(\.peakRSSBytes).max())
            #expect(figures.coldStarts == records.filter(\.coldStart).count)
            #expect(figures.initMicros == records.compactMap(\.initDurationMicros).reduce(0, +))
        }
        let resize = try #require(usage.byFunction["resize"])
        #expect(resize.errors == 2)
        #expect(resize.outcomes == [.ok: 2, .timeout: 1, .error: 1])
        #expect(resize.billedMillis == 2 + 3 + 2_001 + 1)
        #expect(resize.memoryMiBMillis == 512 * 2 + 512 * 3 + 512 * 2_001 + 1024 * 1)

        let echo = try #require(usage.byFunction["echo"])
        #expect(echo.invocations == 3)
        #expect(echo.errors == 1)
        #expect(echo.billedRequests == 1)  // the loop-stopped and the killed ones never reached a handler
        #expect(echo.billedMillis == 1)

        #expect(usage.totals.invocations == 7)
        #expect(usage.totals.billedRequests == 5)
        #expect(usage.totals.peakRSSBytes == 9_000_000)
        #expect(usage.totals.memoryMiBMillis == resize.memoryMiBMillis + echo.memoryMiBMillis)
    }

    /// Rows another program wrote can make the totals overflow where each function's sums do not:
    /// an error, not a crash of the daemon.
    @Test func totalsThatWouldOverflow_areAnError() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        try await ledger.append([
            Self.record("a", at: 1, micros: 5_000_000_000_000_000_000, memory: 0),
            Self.record("b", at: 2, micros: 5_000_000_000_000_000_000, memory: 0),
        ])
        await #expect(throws: UsageAccumulator.Overflow.self) {
            _ = try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(100))
        }
    }

    @Test func busyTime_isTheUnionOfIntervals_perFunctionAndInAll() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        try await ledger.append([
            Self.record("a", at: 0, micros: 2_000_000),  // a: 0-2 s
            Self.record("a", at: 1, micros: 2_000_000),  // a: 1-3 s, overlapping: a is busy 0-3
            Self.record("a", at: 10, micros: 1_000_000),  // a: 10-11
            Self.record("b", at: 2.5, micros: 1_000_000),  // b: 2.5-3.5; all: 0-3.5
            Self.record("b", at: 4, micros: 0, outcome: .loopStopped),  // never ran
            Self.record("b", at: 19, micros: 5_000_000),  // 19-24, clipped to the period's end at 20
        ])
        let usage = try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(20))
        #expect(usage.byFunction["a"]?.busyMicros == 4_000_000)
        #expect(usage.byFunction["b"]?.busyMicros == 2_000_000)
        #expect(usage.totals.busyMicros == 3_500_000 + 1_000_000 + 1_000_000)
        #expect(usage.totals.durationMicros == 2_000_000 + 2_000_000 + 1_000_000 + 1_000_000 + 5_000_000)

        let onlyB = try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(20), function: "b")
        #expect(Array(onlyB.byFunction.keys) == ["b"])
        #expect(onlyB.totals.busyMicros == 2_000_000)
        #expect(onlyB.totals.invocations == 3)
    }

    @Test func anEmptyPeriod_hasNoFunctionsAndZeroTotals() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        try await ledger.append([Self.record("a", at: 0, micros: 1_000)])
        let usage = try await ledger.usage(since: Self.start.addingTimeInterval(1), until: Self.start.addingTimeInterval(2))
        #expect(usage.byFunction.isEmpty)
        #expect(usage.totals == UsageFigures())
        #expect(try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(2), function: "nope").byFunction.isEmpty)
        #expect(try await ledger.usage(since: Self.start.addingTimeInterval(2), until: Self.start).byFunction.isEmpty)
    }

    @Test func theScan_searchesAnIndexOnTheStartTime_inItsOrder_neverSortsNorScansTheTable() throws {
        let directory = try TemporaryDirectory()
        let database = try FlintDatabase(path: directory.path + "/flint.sqlite")
        try database.pool.read { db in
            for oneFunction in [false, true] {
                let index = oneFunction ? "invocations_by_function" : "invocations_by_start"
                let arguments: StatementArguments = oneFunction ? ["a", 0, 1] : [0, 1]
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + InvocationLedger.usageSQL(oneFunction: oneFunction), arguments: arguments)
                    .map { $0["detail"] as String }
                #expect(plan.contains { $0.hasPrefix("SEARCH invocations USING INDEX \(index)") }, "\(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN invocations") }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the index gives the order; nothing is sorted: \(plan)")
            }
        }
    }

    @Test func readingOnly_seesTheLedger_refusesWrites_andNeverCreatesAFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        try await Self.ledger(in: directory).append([Self.record("a", at: 0, micros: 1_000)])

        let readOnly = try FlintDatabase(readingOnly: path)
        let usage = try await InvocationLedger(database: readOnly).usage(since: Self.start, until: Self.start.addingTimeInterval(1))
        #expect(usage.totals.invocations == 1)
        await #expect(throws: (any Error).self) {
            try await InvocationLedger(database: readOnly).append([Self.record("a", at: 0.5, micros: 1_000)])
        }

        // A file an older Flint left (here: migrated up to the bus and objects only) cannot be
        // upgraded by a reader, and is refused with what to do.
        let older = directory.path + "/older.sqlite"
        try FlintDatabase.migrator.migrate(DatabaseQueue(path: older), upTo: "v3-objects")
        let refusal = #expect(throws: BusError.self) { try FlintDatabase(readingOnly: older) }
        #expect(refusal?.description == "\(older): was written by an older Flint and is not upgraded yet; run `flint up` once to upgrade it")

        // A file written before a later migration of other tables (the schedules' rules) is read.
        let beforeRules = directory.path + "/before-rules.sqlite"
        try FlintDatabase.migrator.migrate(DatabaseQueue(path: beforeRules), upTo: "v6-lean-messages")
        _ = try FlintDatabase(readingOnly: beforeRules)

        let missing = directory.path + "/missing/flint.sqlite"
        #expect(throws: (any Error).self) { try FlintDatabase(readingOnly: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// Rows another program wrote may hold anything: sums past Int64.max fail the report, as SQL's
    /// SUM does, instead of wrapping around or trapping; an unknown outcome counts as an error.
    @Test func rowsNoFlintWrote_overflowFailsTheReport_unknownOutcomesAreErrors() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        try await ledger.append([Self.record("a", at: 0, micros: 1_000), Self.record("a", at: 1, micros: 1_000)])
        try await ledger.database.write { db in try db.execute(sql: "UPDATE invocations SET outcome = 'exploded'") }
        let usage = try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(10))
        #expect(usage.byFunction["a"]?.outcomes == [.error: 2])
        #expect(usage.totals.busyMicros == 2_000)

        try await ledger.database.write { db in try db.execute(sql: "UPDATE invocations SET duration_us = ?", arguments: [Int64.max / 2 + 1]) }
        await #expect(throws: UsageAccumulator.Overflow.self) {
            try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(10))
        }
    }

    /// A Flint before the rule stored `billed_ms = 1` for an invocation that never reached a
    /// handler: reports read it by the rule, not by the stored figure.
    @Test func rowsWrittenBeforeTheRule_billNothingForWhatNeverReachedAHandler() async throws {
        let directory = try TemporaryDirectory()
        let ledger = try Self.ledger(in: directory)
        try await ledger.append([
            Self.record("a", at: 0, micros: 1_000),
            Self.record("a", at: 1, micros: 0, outcome: .killed, peak: 0, cpu: (0, 0), cold: false),
        ])
        try await ledger.database.write { db in try db.execute(sql: "UPDATE invocations SET billed_ms = 1") }
        let a = try #require(try await ledger.usage(since: Self.start, until: Self.start.addingTimeInterval(10)).byFunction["a"])
        #expect(a.invocations == 2)
        #expect(a.billedRequests == 1)
        #expect(a.billedMillis == 1)
    }

    @Test func intervalUnion_matchesCountingEveryCoveredMicrosecond() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int64) -> Int64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((seed >> 33) % UInt64(bound))
        }
        for _ in 0 ..< 200 {
            let intervals = (0 ..< Int(next(12))).map { _ in
                let start = next(200)
                return (start, start + next(40))
            }.sorted { $0.0 < $1.0 }
            var union = IntervalUnion()
            var covered = Set<Int64>()
            for (start, end) in intervals {
                union.add(start, end)
                covered.formUnion(start ..< end)
            }
            #expect(union.total == Int64(covered.count), "\(intervals)")
        }
    }
}
