/// How long a failed delivery waits before its next attempt: exponential backoff with "equal
/// jitter".
///
/// Attempt `n` doubles `base` `n - 1` times; half of that is fixed and `random` picks the rest of
/// the other half, so retries of many messages that failed together spread out. The fixed half of
/// attempt `n + 1` is the whole of attempt `n`, so a delay never shrinks from one attempt to the
/// next, whatever the random values. `max` caps the result: once it is reached, every later
/// attempt waits exactly `max`.
public enum RetryBackoff {
    /// The delay after attempt `attempt` (1 for the first) failed.
    ///
    /// - Parameters:
    ///   - attempt: the attempt that failed, from 1; lower values count as 1. Any value is safe:
    ///     the doubling stops once it passes `max`.
    ///   - base: the delay after the first attempt, before jitter.
    ///   - max: the longest delay.
    ///   - random: a value in `0..<1` (clamped to it; NaN counts as 0), e.g. `Double.random(in: 0..<1)`.
    public static func delay(afterAttempt attempt: Int, base: Duration, max: Duration, random: Double) -> Duration {
        let baseSeconds = base.timeInterval
        let maxSeconds = max.timeInterval
        guard baseSeconds > 0, maxSeconds > 0 else { return .zero }
        // base × 2^(attempt-1), doubling only while the result could still be under the cap: at
        // 2 × max even the fixed half reaches it. Bounded by the exponent range of Double.
        var ceiling = baseSeconds
        var doublings = Swift.max(attempt, 1) - 1
        while doublings > 0, ceiling < 2 * maxSeconds {
            ceiling *= 2
            doublings -= 1
        }
        guard ceiling < 2 * maxSeconds else { return max }
        let fraction = random.isNaN ? 0 : Swift.min(Swift.max(random, 0), 1)
        let jittered = ceiling / 2 + fraction * (ceiling / 2)
        guard jittered < maxSeconds else { return max }
        return Swift.min(.seconds(jittered), max)
    }

}
