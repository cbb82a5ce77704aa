import FlintCore
import FlintRunner
import Foundation
import Testing

/// What isolation adds to a spawn; run with
/// `FLINT_RUNNER_BENCH=1 swift test --filter IsolationBenchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FLINT_RUNNER_BENCH"] != nil), .serialized)
struct IsolationBenchmarks {
    /// Median wall time of one `/bin/true` invocation, in microseconds, run one after another.
    private func medianMicros(_ fixture: IsolationFixture, mode: Isolation, count: Int) async -> Int64 {
        var durations: [Int64] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            let result = await fixture.run(["/bin/true"], isolation: mode)
            precondition(result.record.outcome == .ok, "\(result.record)")
            let elapsed = ContinuousClock.now - start
            durations.append(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        }
        return durations.sorted()[count / 2]
    }

    @Test func spawnCost_withEachMechanism() async throws {
        try await withIsolationFixture(IsolationSettings(cgroups: false)) { plain in
            _ = await medianMicros(plain, mode: .process, count: 100)
            print("isolation bench: process only (as root: nobody) p50 \(await medianMicros(plain, mode: .process, count: 1000)) µs")
        }
        try await withIsolationFixture { isolated in
            _ = await medianMicros(isolated, mode: .process, count: 100)
            print("isolation bench: + cgroup (\(isolated.isolation.cgroupsUnavailable ?? "available")) p50 \(await medianMicros(isolated, mode: .process, count: 1000)) µs")
            if isolated.isolation.bubblewrap != nil {
                print("isolation bench: + sandbox p50 \(await medianMicros(isolated, mode: .sandbox, count: 300)) µs")
            }
        }
    }
}
