public import Foundation

/// A delivery that failed after its last retry, kept until it is replayed or pruned by hand.
public struct DeadLetter: Sendable, Hashable {
    /// The delivery's id: what `flint deadletters replay ID` takes.
    public var id: Int64
    public var messageID: String
    public var topic: String
    public var subscription: String
    public var function: String
    public var attempts: Int
    public var lastError: String?
    public var lastInvocationID: String?
    public var publishedAt: Date
    public var diedAt: Date
    public var body: String
}

/// What a retention pass removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var messages: Int
}
