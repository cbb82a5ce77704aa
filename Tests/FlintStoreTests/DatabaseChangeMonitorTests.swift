import FlintCore
@testable import FlintStore
import GRDB
import Foundation
import Synchronization
import Testing

@Suite struct DatabaseChangeMonitorTests {
    /// Counts calls and lets a test wait for the next one with a deadline.
    final class Calls: Sendable {
        private struct State {
            var times: [ContinuousClock.Instant] = []
        }
        private let state = Mutex(State())
        private let semaphore = DispatchSemaphore(value: 0)

        var total: Int { state.withLock { $0.times.count } }
        var times: [ContinuousClock.Instant] { state.withLock { $0.times } }

        func record() {
            state.withLock { $0.times.append(.now) }
            semaphore.signal()
        }

        /// True once a call arrives within `seconds`. Waits on a thread of its own: neither the
        /// test's task nor a shared pool (which a loaded machine may not schedule in time) is blocked.
        func next(within seconds: Double) async -> Bool {
            await withCheckedContinuation { continuation in
                Thread {
                    continuation.resume(returning: self.semaphore.wait(timeout: .now() + seconds) == .success)
                }.start()
            }
        }

        /// Waits until no call has come for `quiet` seconds (the monitor's trailing calls end
        /// 1 s after the last change), at most `seconds` in all; then forgets every call so far.
        func settle(quiet: Double = 1.2, within seconds: Double = 20) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while await next(within: quiet) {
                guard ContinuousClock.now < deadline else { return false }
            }
            state.withLock { $0.times.removeAll() }
            return true
        }
    }

    /// A started monitor of `fixture`'s database whose start-up calls are over.
    static func quietMonitor(
        _ fixture: BusFixture, _ calls: Calls, ownWriteUnderWay: @escaping @Sendable () -> Bool = { false }
    ) async throws -> DatabaseChangeMonitor {
        let monitor = try DatabaseChangeMonitor(databasePath: fixture.path, ownWriteUnderWay: ownWriteUnderWay) { calls.record() }
        monitor.start()
        #expect(await calls.settle(), "the monitor kept calling with nothing changing")
        return monitor
    }

    /// 400 commits back to back, as a busy daemon's own (each writes a few WAL pages): how long
    /// they took, and how many calls came meanwhile.
    static func runOfCommits(_ fixture: BusFixture, _ calls: Calls) throws -> (elapsed: Duration, calls: Int) {
        let start = ContinuousClock.now
        for index in 0..<400 {
            try fixture.publish("orders", "m\(index)", at: Date())
        }
        return (ContinuousClock.now - start, calls.total)
    }

    @Test func commitFromTheSQLiteShell_callsOnChangeWithinASecond() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        defer { monitor.stop() }

        let result = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'from the shell');")
        #expect(result.status == 0, "sqlite3 failed: \(result.error)")
        #expect(await calls.next(within: 1), "no call within 1 s of a commit by another process")
    }

    @Test func commitFromAnotherConnection_callsOnChangeWithinASecond_everyTime() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        defer { monitor.stop() }

        let other = Bus(database: try FlintDatabase(path: fixture.path))
        try await other.publish([OutgoingMessage(topic: "orders", body: "from another connection")])
        #expect(await calls.next(within: 1), "no call within 1 s of a commit by another connection")

        #expect(await calls.settle())
        try await other.publish([OutgoingMessage(topic: "orders", body: "second")])
        #expect(await calls.next(within: 1), "no call within 1 s of a second commit")
    }

    @Test func afterACommit_callsAgainUpTo1sLater_forReadersWokenTooEarly() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        defer { monitor.stop() }

        try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: "x")])
        #expect(await calls.next(within: 1))
        // Collect the trailing calls (they end 1 s after the last write).
        while await calls.next(within: 1.2) {}
        let times = calls.times
        #expect(times.count >= 5, "expected the call for the commit and four trailing ones, got \(times.count)")
        if let first = times.first, let last = times.last {
            #expect(last - first >= .milliseconds(900), "the last call came \(last - first) after the first")
        }
    }

    @Test func aRunOfCommits_isCoalesced_atMostAboutOneCallPerMillisecond() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        defer { monitor.stop() }

        let (elapsed, duringTheRun) = try Self.runOfCommits(fixture, calls)
        #expect(duringTheRun >= 1, "no call while 400 commits were made")
        // About one per millisecond: at most two, for a loaded machine's scheduling (without the
        // coalescing, a run like this one drew twelve a millisecond).
        let bound = 2 * Int(elapsed / .milliseconds(1)) + 5
        #expect(duringTheRun <= bound, "\(duringTheRun) calls during \(elapsed) of commits (at most \(bound))")
        // The last commit is still called for (and its trailing calls follow).
        #expect(await calls.settle(), "the calls did not end after the commits did")
    }

    /// A WAL write seen while this process writes is most likely its own: the call for it comes
    /// a few milliseconds on, instead of at once. None is missed.
    @Test func aWriteSeenWhileThisProcessWrites_isCalledForAFewMillisecondsLater() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let asked = Mutex<[ContinuousClock.Instant]>([])
        let monitor = try await Self.quietMonitor(fixture, calls) {
            asked.withLock { $0.append(.now) }
            return true
        }
        defer { monitor.stop() }
        asked.withLock { $0.removeAll() }

        let other = Bus(database: try FlintDatabase(path: fixture.path))
        try await other.publish([OutgoingMessage(topic: "orders", body: "while writing")])
        #expect(await calls.next(within: 1), "no call within 1 s of a commit")
        let firstAsked = try #require(asked.withLock { $0.first }, "the monitor did not ask whether this process was writing")
        let firstCall = try #require(calls.times.first)
        let delay = Duration.milliseconds(Int(DatabaseChangeMonitor.ownWriteDelayMillis))
        #expect(firstCall - firstAsked >= delay, "called \(firstCall - firstAsked) after it asked")
    }

    /// While this process goes on writing, the calls come a few milliseconds apart (where they
    /// would come about every millisecond), and still come.
    @Test func aRunOfCommitsWhileThisProcessWrites_isCalledForEveryFewMilliseconds() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls) { true }
        defer { monitor.stop() }

        let (elapsed, duringTheRun) = try Self.runOfCommits(fixture, calls)
        let delay = Duration.milliseconds(Int(DatabaseChangeMonitor.ownWriteDelayMillis))
        // A call comes during a run long enough for the monitor's thread to have seen it, too.
        #expect(elapsed < .milliseconds(200) || duringTheRun >= 1, "no call during \(elapsed) of commits")
        let bound = Int(elapsed / delay) + 2
        #expect(duringTheRun <= bound, "\(duringTheRun) calls during \(elapsed) of commits (at most \(bound))")
        #expect(await calls.next(within: 1), "no call for the last commits")
    }

    @Test func isWriting_whileAWriteTransactionRuns_only() throws {
        let fixture = try BusFixture()
        let database = fixture.database
        #expect(!database.isWriting)
        let inside = try database.write { _ in database.isWriting }
        #expect(inside)
        #expect(!database.isWriting)
        #expect(throws: BusError.self) {
            try database.write { db in try db.execute(sql: "INSERT INTO no_such_table VALUES (1)") }
        }
        #expect(!database.isWriting, "a failed write still ends")
    }

    @Test func isWriting_whileAnAsyncWriteTransactionRuns_only() async throws {
        let fixture = try BusFixture()
        let database = fixture.database
        let inside = try await database.write { _ in database.isWriting }
        #expect(inside)
        #expect(!database.isWriting)
    }

    @Test func writesToOtherFilesOfTheDirectory_doNotCallOnChange() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        defer { monitor.stop() }
        try Data("unrelated".utf8).write(to: URL(fileURLWithPath: fixture.directory.path + "/notes.txt"))
        try Data("unrelated".utf8).write(to: URL(fileURLWithPath: fixture.path + "-wal.bak"))
        try Data("unrelated".utf8).write(to: URL(fileURLWithPath: fixture.directory.path + "/other.sqlite-wal"))
        // Absence can only be shown with a bound: the monitor reacts within a millisecond, 300 ms is ample.
        #expect(await calls.next(within: 0.3) == false)
        #expect(calls.total == 0)
        try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: "marker")])
        #expect(await calls.next(within: 1))
    }

    @Test func stop_endsTheWatching_noCallFollowsACommit() async throws {
        let fixture = try BusFixture()
        let calls = Calls()
        let monitor = try await Self.quietMonitor(fixture, calls)
        monitor.stop()
        try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: "after stop")])
        #expect(await calls.next(within: 0.3) == false)
        #expect(calls.total == 0)
    }

    @Test func init_onAMissingDirectory_throwsNamingIt() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path + "/gone/flint.sqlite"
        var thrown: DatabaseChangeMonitorError?
        do {
            _ = try DatabaseChangeMonitor(databasePath: missing) {}
        } catch {
            thrown = error
        }
        #expect(thrown?.description.contains(directory.path + "/gone") == true, "\(String(describing: thrown))")
    }
}
