import FlintCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FlintTriggers

/// `ScheduleSource.run` against a sink in memory that can fail, as the bus does when its
/// database is locked.
@Suite struct ScheduleSourceTests {
    /// Records every tick asked for; the first `failures` publications throw.
    private final class MemorySink: ScheduleSink {
        struct Refused: Error {}
        struct State {
            var failures: Int
            var marks: [String: (tick: Date, rule: String?)] = [:]
            var attempts: [Date] = []
            var fired: [Date] = []
            var starts: [(trigger: String, tick: Date, rule: String)] = []
        }
        private let state: Mutex<State>

        init(failures: Int = 0, marks: [String: (tick: Date, rule: String?)] = [:]) {
            state = Mutex(State(failures: failures, marks: marks))
        }

        var attempts: [Date] { state.withLock { $0.attempts } }
        var fired: [Date] { state.withLock { $0.fired } }
        var starts: [(trigger: String, tick: Date, rule: String)] { state.withLock { $0.starts } }

        func lastTick(of trigger: String) throws -> (tick: Date, rule: String?)? { state.withLock { $0.marks[trigger] } }
        func start(_ trigger: String, at tick: Date, rule: String) throws {
            state.withLock { state in
                state.marks[trigger] = (tick, rule)
                state.starts.append((trigger, tick, rule))
            }
        }
        func forget(except triggers: [String]) throws {
            state.withLock { state in state.marks = state.marks.filter { triggers.contains($0.key) } }
        }
        func fire(_ trigger: String, at tick: Date) throws {
            try state.withLock { state in
                state.attempts.append(tick)
                if state.failures > 0 {
                    state.failures -= 1
                    throw Refused()
                }
                state.fired.append(tick)
                state.marks[trigger]?.tick = tick
            }
        }
    }

    private static func source(_ sink: MemorySink, every interval: Duration) -> ScheduleSource {
        ScheduleSource(
            schedules: [.init(trigger: "report", rule: .every(interval))], sink: sink,
            logger: Logger(label: "flint.schedule.tests"), retryDelay: .milliseconds(20)
        )
    }

    /// Runs `source` until `done` holds (or 10 s).
    private static func run(_ source: ScheduleSource, until done: () -> Bool) async throws {
        let running = Task { await source.run() }
        defer { running.cancel() }
        let deadline = Date().addingTimeInterval(10)
        while !done(), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aTickThatCannotBePublished_isTriedAgain_notSkipped() async throws {
        let sink = MemorySink(failures: 2)
        try await Self.run(Self.source(sink, every: .milliseconds(400))) { sink.fired.count >= 2 }

        let fired = sink.fired
        try #require(fired.count >= 2, "ticks published: \(fired)")
        // The first tick was refused twice, then published late rather than dropped.
        #expect(Array(sink.attempts.prefix(3)) == [fired[0], fired[0], fired[0]])
        // Then the schedule goes on from its next tick.
        #expect(fired[1] > fired[0])
        let periods = fired[1].timeIntervalSince(fired[0]) / 0.4
        #expect(abs(periods - periods.rounded()) < 0.01, "\(fired)")
    }

    /// Ticks that came due while publishing failed are one missed tick: the latest is published.
    @Test func failuresOutlastingTicks_publishTheLatestDueTick() async throws {
        let sink = MemorySink(failures: 4)  // 20 + 40 + 80 + 160 ms of retries: past a 100 ms tick or two
        try await Self.run(Self.source(sink, every: .milliseconds(100))) { sink.fired.count >= 1 }

        let first = try #require(sink.fired.first)
        #expect(first > sink.attempts[0], "attempts \(sink.attempts), published \(first)")
        #expect(Set(sink.fired).count == sink.fired.count, "a tick published twice")
    }

    @Test func aChangedRule_startsFromNow_firingNothingMissed() async throws {
        let began = Date()
        let sink = MemorySink(marks: ["report": (began.addingTimeInterval(-86_400), "cron: 0 3 * * *"), "removed": (began, "every: 1h")])
        try await Self.run(Self.source(sink, every: .milliseconds(300))) { sink.fired.count >= 1 }

        let start = try #require(sink.starts.first)
        #expect(start.trigger == "report")
        #expect(start.rule == ScheduleTrigger.Rule.every(.milliseconds(300)).text)
        #expect(start.tick >= began)
        // The tick the old rule's record would have called missed was not fired: only ticks after the start.
        #expect(sink.fired.allSatisfy { $0 > start.tick }, "\(sink.fired)")
        #expect(try sink.lastTick(of: "removed") == nil, "a schedule no longer in the project is forgotten")
    }

    @Test func aLastTickAheadOfTheClock_startsFromNow_ratherThanWaitingForIt() async throws {
        let began = Date()
        let rule = ScheduleTrigger.Rule.every(.milliseconds(300))
        let sink = MemorySink(marks: ["report": (began.addingTimeInterval(3_600), rule.text)])
        try await Self.run(Self.source(sink, every: .milliseconds(300))) { sink.fired.count >= 1 }

        #expect(sink.fired.count >= 1, "silent until the clock reaches the recorded tick")
        #expect(sink.starts.first?.tick ?? .distantFuture < began.addingTimeInterval(60))
    }
}
