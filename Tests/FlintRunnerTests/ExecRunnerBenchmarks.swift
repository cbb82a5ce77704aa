import FlintCore
import Foundation
import Testing

@testable import FlintRunner

/// Spawn-rate and memory-sampling figures; run with
/// `FLINT_RUNNER_BENCH=1 swift test --filter ExecRunnerBenchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FLINT_RUNNER_BENCH"] != nil), .serialized)
struct ExecRunnerBenchmarks {
    private func measure(_ fixture: Fixture, concurrency: Int, total: Int) async -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: worker, to: total, by: concurrency) {
                        let result = await fixture.run(["/bin/true"], payload: Data())
                        precondition(result.record.outcome == .ok)
                    }
                }
            }
        }
        let elapsed = clock.now - start
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    @Test func spawnRate_ofTrue() async throws {
        try await withFixture { fixture in
            _ = await measure(fixture, concurrency: 1, total: 200)  // warm up
            let sequential = await measure(fixture, concurrency: 1, total: 2000)
            let parallel = await measure(fixture, concurrency: 8, total: 4000)
            print("exec runner /bin/true: \(Int(sequential))/s sequential, \(Int(parallel))/s with 8 at once")

            // The daemon with 256 MiB resident: CLONE_VM keeps spawning independent of it.
            let size = 256 * 1024 * 1024
            let ballast = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
            defer { ballast.deallocate() }
            ballast.initializeMemory(as: UInt8.self, repeating: 1, count: size)
            let heavy = await measure(fixture, concurrency: 1, total: 2000)
            print("exec runner /bin/true with 256 MiB resident: \(Int(heavy))/s sequential")
        }
    }

    @Test func peakMemorySample_cost() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer {
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        let opens = 2000
        var start = Sys.monotonicNanoseconds()
        for _ in 0..<opens {
            var sampler = PeakMemorySampler(pid: sleeper.processIdentifier, now: 0)
            sampler.close()
        }
        let openNanos = (Sys.monotonicNanoseconds() - start) / Int64(opens)

        var sampler = PeakMemorySampler(pid: sleeper.processIdentifier, now: 0)
        let samples = 20_000
        start = Sys.monotonicNanoseconds()
        for index in 0..<samples {
            sampler.sample(now: Int64(index + 1) * PeakMemorySampler.minimumGap)
        }
        let sampleNanos = (Sys.monotonicNanoseconds() - start) / Int64(samples)
        #expect(sampler.sampledPeakKiB > 0)
        // The opens here find /proc/<pid> cached; for a newly spawned process each costs ~14 µs more.
        print("peak memory sampler: open + first sample + close \(openNanos / 1000) µs, sample \(sampleNanos) ns")
    }
}
