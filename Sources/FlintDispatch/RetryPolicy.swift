internal import FlintCore

/// How failed deliveries come back: exponential backoff with jitter, `retries` times (the
/// function's), then dead letters.
public struct RetryPolicy: Sendable, Hashable {
    public var base: Duration
    public var max: Duration

    public init(base: Duration = .seconds(1), max: Duration = .seconds(300)) {
        self.base = base
        self.max = max
    }

    /// What becomes of a delivery whose `attempt`-th try failed with `error`.
    func verdict(attempt: Int, retries: Int, error: String, random: Double = Double.random(in: 0 ..< 1)) -> Settlement.Verdict {
        guard attempt <= retries else {
            return .dead(error: error)
        }
        return .retry(after: RetryBackoff.delay(afterAttempt: attempt, base: base, max: max, random: random), error: error)
    }
}
