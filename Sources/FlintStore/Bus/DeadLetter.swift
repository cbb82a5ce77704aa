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
    /// The message's body; in a listing, its first `listedBodyBytes` only (`bodyTruncated`).
    public var body: String
    /// The whole body's size in bytes (UTF-8).
    public var bodyBytes: Int
    /// Whether `body` is only the body's beginning: `Bus.deadLetter(id:)` has all of it.
    public var bodyTruncated: Bool

    /// How much of each body a listing carries: up to 10,000 dead letters of up to 1 MiB each
    /// would make a listing of gigabytes, in the daemon's memory and the client's.
    public static let listedBodyBytes = 1024

    public init(
        id: Int64, messageID: String, topic: String, subscription: String, function: String, attempts: Int,
        lastError: String?, lastInvocationID: String?, publishedAt: Date, diedAt: Date,
        body: String, bodyBytes: Int, bodyTruncated: Bool
    ) {
        self.id = id
        self.messageID = messageID
        self.topic = topic
        self.subscription = subscription
        self.function = function
        self.attempts = attempts
        self.lastError = lastError
        self.lastInvocationID = lastInvocationID
        self.publishedAt = publishedAt
        self.diedAt = diedAt
        self.body = body
        self.bodyBytes = bodyBytes
        self.bodyTruncated = bodyTruncated
    }

    enum CodingKeys: String, CodingKey {
        case id
        case messageID = "message_id"
        case topic, subscription, function, attempts
        case lastError = "last_error"
        case lastInvocationID = "last_invocation_id"
        case publishedAt = "published_at"
        case diedAt = "died_at"
        case body
        case bodyBytes = "body_bytes"
        case bodyTruncated = "body_truncated"
    }
}

/// What a retention pass removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var messages: Int
}
