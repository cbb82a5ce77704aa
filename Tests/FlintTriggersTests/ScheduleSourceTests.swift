import FlintCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FlintTriggers

/// `ScheduleSource.run` against a sink that can fail, as the bus does when its database is locked.
@Suite struct ScheduleSourceTests {
    /// Records every tick asked for; the first `failures` publications throw.
    private final class FlakySink: ScheduleSink {
        struct Refused: Error {}
        private let state: Mutex<(failures: Int, attempts: [Date], fired: [Date])>

        init(failures: Int) {
            state = Mutex((failures, [], []))
        }

        var attempts: [Date] { state.withLock { $0.attempts } }
        var fired: [Date] { state.withLock { $0.fired } }

        func lastTick(of trigger: String) throws -> Date? { nil }
        func markStart(of trigger: String, at tick: Date) throws {}
        func fire(_ trigger: String, at tick: Date) throws {
            try state.withLock { state in
                state.attempts.append(tick)
                if state.failures > 0 {
                    state.failures -= 1
                    throw Refused()
                }
                state.fired.append(tick)
            }
        }
    }

    @Test func aTickThatCannotBePublished_isTriedAgain_notSkipped() async throws {
        let sink = FlakySink(failures: 2)
        let source = ScheduleSource(
            schedules: [.init(trigger: "report", rule: .every(.milliseconds(400)))], sink: sink,
            logger: Logger(label: "flint.schedule.tests"), retryDelay: .milliseconds(20)
        )
        let running = Task { await source.run() }
        defer { running.cancel() }
        let deadline = Date().addingTimeInterval(10)
        while sink.fired.count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        running.cancel()

        let fired = sink.fired
        try #require(fired.count >= 2, "ticks published: \(fired)")
        // The first tick was refused twice, then published late rather than dropped.
        #expect(Array(sink.attempts.prefix(3)) == [fired[0], fired[0], fired[0]])
        // Then the schedule goes on from its next tick.
        #expect(fired[1] > fired[0])
        let periods = fired[1].timeIntervalSince(fired[0]) / 0.4
        #expect(abs(periods - periods.rounded()) < 0.01, "\(fired)")
    }
}
