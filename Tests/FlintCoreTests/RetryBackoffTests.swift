import FlintCore
import Testing

@Suite struct RetryBackoffTests {
    private func delay(_ attempt: Int, base: Duration = .seconds(1), max: Duration = .seconds(300), random: Double) -> Duration {
        RetryBackoff.delay(afterAttempt: attempt, base: base, max: max, random: random)
    }

    @Test func firstAttempt_waitsBetweenHalfTheBaseAndTheBase() {
        #expect(delay(1, random: 0) == .milliseconds(500))
        #expect(delay(1, random: 0.5) == .milliseconds(750))
        for random in [0, 0.25, 0.5, 0.999_999] {
            let first = delay(1, random: random)
            #expect(first >= .milliseconds(500) && first <= .seconds(1))
        }
    }

    @Test func eachAttempt_doublesTheBase_halfFixedHalfJittered() {
        #expect(delay(2, random: 0) == .seconds(1))
        #expect(delay(3, random: 0) == .seconds(2))
        #expect(delay(3, random: 0.5) == .seconds(3))
        #expect(delay(4, base: .milliseconds(10), random: 0) == .milliseconds(40))
    }

    @Test func delays_neverShrink_whateverTheRandomValues() {
        var random = SplitMix(seed: 7)
        for (base, max) in [(Duration.seconds(1), Duration.seconds(300)), (.milliseconds(10), .seconds(12 * 3600)), (.seconds(3), .seconds(5))] {
            // The worst case: the highest delay of one attempt against the lowest of the next.
            for attempt in 1 ..< 80 {
                #expect(delay(attempt, base: base, max: max, random: 0.999_999_9) <= delay(attempt + 1, base: base, max: max, random: 0))
            }
            var previous = Duration.zero
            for attempt in 1 ..< 80 {
                let next = delay(attempt, base: base, max: max, random: random.nextUnit())
                #expect(next >= previous, "attempt \(attempt)")
                previous = next
            }
        }
    }

    @Test func max_capsEveryDelay_andLaterAttemptsWaitExactlyMax() {
        var random = SplitMix(seed: 11)
        for attempt in 1 ..< 200 {
            #expect(delay(attempt, max: .seconds(60), random: random.nextUnit()) <= .seconds(60))
        }
        #expect(delay(8, max: .seconds(60), random: 0.9) == .seconds(60))
        #expect(delay(1, base: .seconds(10), max: .seconds(2), random: 0) == .seconds(2))
    }

    @Test func hugeAttempts_andOddInputs_areSafe() {
        #expect(delay(Int.max, random: 0.3) == .seconds(300))
        #expect(delay(1_000_000, base: .nanoseconds(1), max: .seconds(Int64.max / 2), random: 0) == .seconds(Int64.max / 2))
        #expect(delay(0, random: 0) == delay(1, random: 0))
        #expect(delay(-5, random: 0) == delay(1, random: 0))
        #expect(delay(1, random: .nan) == .milliseconds(500))
        #expect(delay(1, random: 7) == .seconds(1))
        #expect(delay(1, random: -1) == .milliseconds(500))
        #expect(delay(3, base: .zero, random: 0.5) == .zero)
        #expect(delay(3, max: .zero, random: 0.5) == .zero)
    }
}
