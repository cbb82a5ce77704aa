import FlintCore
@testable import FlintDispatch
import Foundation
import Testing

@Suite struct RetryPolicyTests {
    @Test func verdict_withTwoRetries_retriesAttemptsOneAndTwo_thenTheThirdIsDead() {
        let policy = RetryPolicy(base: .seconds(1), max: .seconds(300))
        #expect(policy.verdict(attempt: 1, retries: 2, error: "exit status 1", random: 0) == .retry(after: .milliseconds(500), error: "exit status 1"))
        #expect(policy.verdict(attempt: 2, retries: 2, error: "exit status 1", random: 0) == .retry(after: .seconds(1), error: "exit status 1"))
        #expect(policy.verdict(attempt: 3, retries: 2, error: "exit status 1", random: 0) == .dead(error: "exit status 1"))
        #expect(policy.verdict(attempt: 4, retries: 2, error: "late", random: 0) == .dead(error: "late"))
    }

    @Test func verdict_withNoRetries_isDeadAtOnce() {
        #expect(RetryPolicy().verdict(attempt: 1, retries: 0, error: "e", random: 0.5) == .dead(error: "e"))
    }

    @Test func verdict_jitterAddsUpToHalfTheDelay() {
        let policy = RetryPolicy(base: .seconds(2), max: .seconds(300))
        #expect(policy.verdict(attempt: 1, retries: 5, error: "e", random: 0.5) == .retry(after: .milliseconds(1_500), error: "e"))
        #expect(policy.verdict(attempt: 3, retries: 5, error: "e", random: 0.25) == .retry(after: .seconds(5), error: "e"))
    }

    @Test func verdict_delaysNeverShrinkFromOneAttemptToTheNext_whateverTheJitter_andStopAtMax() {
        let policy = RetryPolicy(base: .seconds(1), max: .seconds(60))
        let randoms = [0, 0.1, 0.5, 0.9, 0.999_999]
        func delay(_ attempt: Int, _ random: Double) -> Duration? {
            if case .retry(let delay, _) = policy.verdict(attempt: attempt, retries: 100, error: "e", random: random) { return delay }
            return nil
        }
        for attempt in 1 ..< 40 {
            for earlier in randoms {
                for later in randoms {
                    guard let this = delay(attempt, earlier), let next = delay(attempt + 1, later) else {
                        Issue.record("attempt \(attempt) or \(attempt + 1) was not retried")
                        return
                    }
                    #expect(next >= this, "attempt \(attempt + 1) (random \(later)) waits \(next), less than attempt \(attempt) (random \(earlier)) \(this)")
                    #expect(this <= .seconds(60))
                }
            }
        }
        #expect(delay(39, 0) == .seconds(60))
    }

    @Test func verdict_defaultJitter_staysWithinItsBounds() {
        let policy = RetryPolicy(base: .seconds(4), max: .seconds(300))
        for _ in 0 ..< 200 {
            guard case .retry(let delay, _) = policy.verdict(attempt: 2, retries: 2, error: "e") else {
                Issue.record("attempt 2 of 2 retries was not retried")
                return
            }
            #expect(delay >= .seconds(4) && delay <= .seconds(8), "\(delay)")
        }
    }
}
