public import Foundation

/// A delivery that failed after its last retry, kept until it is replayed or discarded
/// (retention never prunes it). As JSON (the admin API, `flint deadletters --json`) its keys are snake_case.
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
    /// False when its trigger or function is no longer in the project: nothing would take it
    /// again, so a replay leaves it dead (until that is back); it can be discarded.
    public var replayable: Bool

    /// How much of each body a listing carries: up to 10,000 dead letters of up to 1 MiB each
    /// would make a listing of gigabytes, in the daemon's memory and the client's.
    public static let listedBodyBytes = 1024

    public init(
        id: Int64, messageID: String, topic: String, subscription: String, function: String, attempts: Int,
        lastError: String?, lastInvocationID: String?, publishedAt: Date, diedAt: Date,
        body: String, bodyBytes: Int, bodyTruncated: Bool, replayable: Bool = true
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
        self.replayable = replayable
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
        case replayable
    }

    /// A daemon from before `body_bytes`, `body_truncated` and `replayable` (a CLI updated before
    /// the daemon restarted) sends whole bodies: their size, and not truncated; and says nothing of
    /// whether they can be replayed: taken as they can, as before.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        messageID = try container.decode(String.self, forKey: .messageID)
        topic = try container.decode(String.self, forKey: .topic)
        subscription = try container.decode(String.self, forKey: .subscription)
        function = try container.decode(String.self, forKey: .function)
        attempts = try container.decode(Int.self, forKey: .attempts)
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        lastInvocationID = try container.decodeIfPresent(String.self, forKey: .lastInvocationID)
        publishedAt = try container.decode(Date.self, forKey: .publishedAt)
        diedAt = try container.decode(Date.self, forKey: .diedAt)
        body = try container.decode(String.self, forKey: .body)
        bodyBytes = try container.decodeIfPresent(Int.self, forKey: .bodyBytes) ?? body.utf8.count
        bodyTruncated = try container.decodeIfPresent(Bool.self, forKey: .bodyTruncated) ?? false
        replayable = try container.decodeIfPresent(Bool.self, forKey: .replayable) ?? true
    }
}

/// What a retention pass removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var messages: Int
}
