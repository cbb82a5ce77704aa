public import Foundation

/// A message on its way onto the bus.
public struct OutgoingMessage: Sendable, Hashable {
    /// The most a message may hold, in bytes: its body and its attributes' names and values
    /// (SQS's limit is 256 KiB; Flint allows 1 MiB).
    public static let maxBytes = 1024 * 1024

    /// What counts against `maxBytes`: the body and the attributes' names and values, as SQS
    /// counts them (otherwise attributes would be a way round the limit).
    public var byteCount: Int {
        body.utf8.count + attributes.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
    }

    public var topic: String
    /// The body as handlers receive it (SQS bodies are text).
    public var body: String
    /// String attributes (SQS `messageAttributes`).
    public var attributes: [String: String]
    /// A second message with the same key on the same topic, while the first is retained,
    /// is not stored again: publishing it returns the first one's id.
    public var dedupKey: String?
    /// Messages with the same group key are delivered one at a time, in publishing order.
    public var groupKey: String?
    /// Set when the id must be known before publishing (an asynchronous invocation's id).
    public var messageID: String?
    /// What published it, when not a plain publish (an asynchronous HTTP request, a schedule...).
    public var origin: MessageOrigin?
    /// How many invocations, each caused by the one before, led to this message.
    public var depth: Int

    public init(
        topic: String, body: String, attributes: [String: String] = [:], dedupKey: String? = nil,
        groupKey: String? = nil, messageID: String? = nil, origin: MessageOrigin? = nil, depth: Int = 0
    ) {
        self.topic = topic
        self.body = body
        self.attributes = attributes
        self.dedupKey = dedupKey
        self.groupKey = groupKey
        self.messageID = messageID
        self.origin = origin
        self.depth = depth
    }
}

/// Where a message came from, when it stands for something other than a queue message.
public struct MessageOrigin: Sendable, Hashable {
    public var source: InvocationSource
    /// The trigger that published it (an http or schedule trigger), if any.
    public var trigger: String?

    public init(source: InvocationSource, trigger: String? = nil) {
        self.source = source
        self.trigger = trigger
    }
}

/// What publishing one message gave back.
public struct PublishReceipt: Sendable, Hashable, Codable {
    public var messageID: String
    /// True when a message with the same dedup key was already there; `messageID` is its id.
    public var duplicate: Bool

    public init(messageID: String, duplicate: Bool) {
        self.messageID = messageID
        self.duplicate = duplicate
    }
}

/// A stored message, as a lease hands it out.
public struct BusMessage: Sendable, Hashable {
    /// The row id (internal; ordering within a topic).
    public var rowID: Int64
    public var messageID: String
    public var topic: String
    public var body: String
    public var attributes: [String: String]
    public var dedupKey: String?
    public var groupKey: String?
    public var origin: MessageOrigin?
    public var depth: Int
    public var publishedAt: Date

    public init(
        rowID: Int64, messageID: String, topic: String, body: String, attributes: [String: String] = [:],
        dedupKey: String? = nil, groupKey: String? = nil, origin: MessageOrigin? = nil, depth: Int = 0, publishedAt: Date
    ) {
        self.rowID = rowID
        self.messageID = messageID
        self.topic = topic
        self.body = body
        self.attributes = attributes
        self.dedupKey = dedupKey
        self.groupKey = groupKey
        self.origin = origin
        self.depth = depth
        self.publishedAt = publishedAt
    }
}
