@testable import FlintRunner
import Glibc
import Synchronization
import Testing

@Suite(.serialized) struct SupervisorThreadTests {
    /// Runs `count` pieces of work one after another, each on a supervisor thread.
    private func runSequentially(_ count: Int) async throws {
        for _ in 0 ..< count {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                do {
                    try SupervisorThread.start { continuation.resume() }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    @Test func sequentialWork_reusesAnIdleThread() async throws {
        try await runSequentially(1)
        let before = SupervisorThread.threadCount
        try await runSequentially(50)
        // Other suites may run handlers at the same time; 50 runs must not have made 50 threads.
        #expect(SupervisorThread.threadCount < before + 10)
    }

    @Test func concurrentWork_getsAThreadEach() async throws {
        // Eight bodies that each wait for all eight to have started: only possible on eight threads.
        final class Counter: Sendable { let value = Atomic<Int>(0) }
        let started = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0 ..< 8 {
                group.addTask {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        do {
                            try SupervisorThread.start {
                                started.value.add(1, ordering: .sequentiallyConsistent)
                                while started.value.load(ordering: .sequentiallyConsistent) < 8 { sched_yield() }
                                continuation.resume()
                            }
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(started.value.load(ordering: .sequentiallyConsistent) == 8)
    }
}
