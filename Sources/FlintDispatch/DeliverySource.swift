public import FlintCore
public import Foundation

/// The bus, as the consumer sees it (FlintStore's `Bus`, seen through a protocol).
public protocol DeliverySource: Sendable {
    /// Writes the deliveries of up to `limit` messages published and not fanned out yet; returns
    /// how many messages.
    func fanOut(limit: Int) throws -> Int
    /// Leases up to `limit` due deliveries of `subscription` for `leaseFor`, to be run by
    /// `function`, after fanning out what was published before; only as many as keep their
    /// messages (each with `overheadPerMessage` more) within `byteBudget`, the first always.
    /// `cutShort`: more were due than the budget allowed.
    func claim(
        subscription: String, limit: Int, byteBudget: Int, overheadPerMessage: Int, leaseFor: Duration, function: String?, now: Date
    ) throws -> (leases: [Lease], cutShort: Bool)
    /// Gives back leases no invocation took, claimed at `claimedAt`: ready again, their attempt
    /// not counted.
    func release(_ tokens: [LeaseToken], claimedAt: Date) throws
    /// Which of `subscriptions` have a delivery due, or a published message a claim would fan out
    /// for them: one cheap read, so that a pass claims (a write transaction each) only where there
    /// is something to claim.
    func dueSubscriptions(among subscriptions: [String], now: Date) throws -> Set<String>
    /// How many deliveries of `subscription` are due (up to `limit`), and since when the oldest is.
    func due(subscription: String, limit: Int, now: Date) throws -> (count: Int, oldestDueAt: Date?)
    /// Whether the messages of the first `limit` due deliveries of `subscription` (each with
    /// `overheadPerMessage` more) come to `threshold` bytes.
    func dueBytesReach(_ threshold: Int, subscription: String, limit: Int, overheadPerMessage: Int, now: Date) throws -> Bool
    /// The next moment something of `subscriptions` becomes due or a lease expires.
    func nextDeadline(subscriptions: [String], now: Date) throws -> Date?
    /// Makes deliveries whose lease ran out claimable again.
    func expireLeases(now: Date) throws -> Int
}

/// One subscription the consumer serves: deliveries of a topic to a function.
public struct BusSubscription: Sendable, Hashable {
    /// How the handler receives what was published.
    public enum Shape: Sendable, Hashable {
        /// An SQS event of up to `batch` messages, waiting up to `window` for a fuller batch.
        case sqs(batch: Int, window: Duration)
        /// The message body is the event, one per invocation (asynchronous invocations, schedules).
        case event
    }

    /// The subscription's name on the bus.
    public var name: String
    public var function: String
    /// The trigger this subscription stands for, when it stands for one.
    public var trigger: String?
    public var source: InvocationSource
    public var shape: Shape
    /// Whether the function's `on_success`/`on_failure` topics receive a record of each outcome
    /// (asynchronous invocations, as Lambda's destinations).
    public var sendsDestinations: Bool

    public init(name: String, function: String, trigger: String?, source: InvocationSource, shape: Shape, sendsDestinations: Bool = false) {
        self.name = name
        self.function = function
        self.trigger = trigger
        self.source = source
        self.shape = shape
        self.sendsDestinations = sendsDestinations
    }

    /// Messages per invocation.
    public var batch: Int {
        if case .sqs(let batch, _) = shape { return batch }
        return 1
    }

    /// How long to wait for a fuller batch.
    public var window: Duration {
        if case .sqs(_, let window) = shape { return window }
        return .zero
    }
}
