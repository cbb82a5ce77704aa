import FlintCore
import FlintStore
import Foundation
import Testing

@Suite struct InvocationLedgerTests {
    static func record(id: String = InvocationRequest.newID(), function: String = "echo", startedAt: Date = Date(), micros: Int64 = 1_500, outcome: InvocationOutcome = .ok) -> InvocationRecord {
        InvocationRecord(
            id: id, function: function, trigger: "echo-http", source: .http, attempt: 1,
            startedAt: startedAt, endedAt: startedAt.addingTimeInterval(Double(micros) / 1e6), durationMicros: micros,
            memoryLimitMB: 256, peakRSSBytes: 4_000_000, userCPUMicros: 700, systemCPUMicros: 300,
            exitCode: outcome == .ok ? 0 : 1, signal: nil, coldStart: true, outcome: outcome,
            errorMessage: outcome == .ok ? nil : "exit status 1"
        )
    }

    @Test func append_thenFind_roundTripsEveryField() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let original = Self.record(outcome: .error)
        try await ledger.append([.init(record: original, log: Data("line 1\nline 2\n".utf8))])

        let found = try #require(try await ledger.find(id: original.id))
        #expect(found.id == original.id)
        #expect(found.function == "echo")
        #expect(found.trigger == "echo-http")
        #expect(found.outcome == .error)
        #expect(found.errorMessage == "exit status 1")
        #expect(found.durationMicros == 1_500)
        #expect(found.billedMillis == 2)
        #expect(found.peakRSSBytes == 4_000_000)
        #expect(abs(found.startedAt.timeIntervalSince(original.startedAt)) < 0.000_001)
        #expect(try await ledger.log(id: original.id) == Data("line 1\nline 2\n".utf8))
    }

    @Test func billedMillis_roundsUpToWholeMilliseconds() {
        #expect(InvocationRecord.billedMillis(forMicros: 1) == 1)
        #expect(InvocationRecord.billedMillis(forMicros: 1_000) == 1)
        #expect(InvocationRecord.billedMillis(forMicros: 1_001) == 2)
        let record = Self.record(micros: 2_000_000)  // 2 s at 256 MiB = 0.5 GB-s
        #expect(record.gbSeconds == 0.5)
    }

    @Test func recent_isNewestFirstAndFiltersByFunction() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try await ledger.append((0 ..< 5).map { index in
            .init(record: Self.record(function: index.isMultiple(of: 2) ? "even" : "odd", startedAt: start.addingTimeInterval(Double(index))), log: Data())
        })
        let all = try await ledger.recent(limit: 10)
        #expect(all.map(\.startedAt) == all.map(\.startedAt).sorted(by: >))
        #expect(all.count == 5)
        #expect(try await ledger.recent(function: "even", limit: 10).count == 3)
        #expect(try await ledger.recent(limit: 2).count == 2)
    }

    @Test func log_ofUnknownInvocationIsNil_ofSilentOneIsEmpty() async throws {
        let directory = try TemporaryDirectory()
        let ledger = InvocationLedger(database: try FlintDatabase(path: directory.path + "/flint.sqlite"))
        let silent = Self.record()
        try await ledger.append([.init(record: silent, log: Data())])
        #expect(try await ledger.log(id: "nope") == nil)
        #expect(try await ledger.log(id: silent.id) == Data())
    }

    @Test func database_reopensWithoutRemigrating() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        let record = Self.record()
        try await InvocationLedger(database: try FlintDatabase(path: path)).append([.init(record: record, log: Data())])
        let reopened = InvocationLedger(database: try FlintDatabase(path: path, durability: .full))
        #expect(try await reopened.find(id: record.id) != nil)
    }
}
