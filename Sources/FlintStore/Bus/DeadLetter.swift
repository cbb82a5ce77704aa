public import Foundation

/// A delivery that failed after its last retry, kept until it is replayed (retention never prunes it). As
/// JSON (the admin API, `flint deadletters --json`) its keys are snake_case.
public struct DeadLetter: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case id
        case messageID = "message_id"
        case topic, subscription, function, attempts
        case lastError = "last_error"
        case lastInvocationID = "last_invocation_id"
        case publishedAt = "published_at"
        case diedAt = "died_at"
        case body
    }
}

/// What a retention pass removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var messages: Int
}
