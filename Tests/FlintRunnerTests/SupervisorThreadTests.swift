@testable import FlintRunner
import Foundation
import Glibc
import Synchronization
import Testing

@Suite(.serialized) struct SupervisorThreadTests {
    /// Runs `count` pieces of work one after another, each on a supervisor thread; returns the
    /// thread each ran on.
    private func runSequentially(_ count: Int) async throws -> [pthread_t] {
        var threads: [pthread_t] = []
        for _ in 0 ..< count {
            threads.append(try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<pthread_t, any Error>) in
                do {
                    try SupervisorThread.start { continuation.resume(returning: pthread_self()) }
                } catch {
                    continuation.resume(throwing: error)
                }
            })
        }
        return threads
    }

    @Test func sequentialWork_reusesAnIdleThread() async throws {
        // Counted on the work's own threads, not the pool's global count: other suites run
        // handlers at the same time and make threads of their own.
        let threads = try await runSequentially(50)
        #expect(Set(threads.map { UInt($0) }).count < 10, "50 pieces of work one after another ran on \(Set(threads.map { UInt($0) }).count) threads")
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

    @Test func aSupervisorThread_isKnownToTheKernelByItsName() async throws {
        let name = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            do {
                try SupervisorThread.start {
                    let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                    continuation.resume(returning: comm.trimmingCharacters(in: .newlines))
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        #expect(name == "flint-supervise")
    }
}
