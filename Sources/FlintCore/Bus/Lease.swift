public import Foundation

/// Identifies one lease of one delivery: the delivery and the epoch it was leased under. An ack
/// or nack carrying an older epoch is refused, because the delivery was leased again since.
public struct LeaseToken: Sendable, Hashable, Codable, CustomStringConvertible {
    public var deliveryID: Int64
    public var epoch: Int64

    public init(deliveryID: Int64, epoch: Int64) {
        self.deliveryID = deliveryID
        self.epoch = epoch
    }

    /// `DELIVERY.EPOCH`: what handlers see as an SQS receipt handle.
    public var description: String { "\(deliveryID).\(epoch)" }
}

/// A delivery claimed for one invocation, with its message.
public struct Lease: Sendable, Hashable {
    public var token: LeaseToken
    /// 1 on the first delivery, counting every lease (SQS's ApproximateReceiveCount).
    public var attempt: Int
    public var firstReceivedAt: Date
    public var message: BusMessage
    /// The invocation that last settled this delivery, if any did (a replayed dead letter's).
    public var previousInvocationID: String?

    public init(token: LeaseToken, attempt: Int, firstReceivedAt: Date, message: BusMessage, previousInvocationID: String? = nil) {
        self.token = token
        self.attempt = attempt
        self.firstReceivedAt = firstReceivedAt
        self.message = message
        self.previousInvocationID = previousInvocationID
    }
}

/// How an invocation ended for the deliveries it was given.
public struct Settlement: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        /// Handled: the delivery is done.
        case done
        /// Failed; deliver again after `delay`.
        case retry(after: Duration, error: String)
        /// Failed for the last time: a dead letter, kept for `flint deadletters replay`.
        case dead(error: String)
        /// Stopped by Flint itself (the daemon stopping past its drain deadline), which is no
        /// failure of the delivery's: ready again at once, the attempt not counted, so it uses
        /// none of the function's retries.
        case interrupted(error: String)

        /// Whether the delivery is done (nothing of it is due again).
        public var isDone: Bool {
            if case .done = self { return true }
            return false
        }
    }

    public var lease: LeaseToken
    public var verdict: Verdict
    /// The invocation that handled (or failed) it.
    public var invocationID: String

    public init(lease: LeaseToken, verdict: Verdict, invocationID: String) {
        self.lease = lease
        self.verdict = verdict
        self.invocationID = invocationID
    }
}

/// Where one delivery stands.
public enum DeliveryState: String, Sendable, Hashable, Codable {
    /// Waiting to be claimed (perhaps not before a retry delay).
    case ready
    /// Claimed: an invocation is running it.
    case leased
    case done
    /// Failed after its last retry.
    case dead
}

/// A delivery's state, as `GET /v1/invocations/{id}` shows an asynchronous invocation.
public struct DeliveryStatus: Sendable, Hashable {
    public var state: DeliveryState
    public var function: String
    /// Leases so far.
    public var attempt: Int
    public var lastInvocationID: String?
    public var lastError: String?
    /// When a ready delivery becomes claimable.
    public var visibleAt: Date

    public init(state: DeliveryState, function: String, attempt: Int, lastInvocationID: String?, lastError: String?, visibleAt: Date) {
        self.state = state
        self.function = function
        self.attempt = attempt
        self.lastInvocationID = lastInvocationID
        self.lastError = lastError
        self.visibleAt = visibleAt
    }
}
