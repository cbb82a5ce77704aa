public import Foundation

/// One message as a queue trigger hands it to its function: a record of the SQS event.
public struct SQSMessageRecord: Sendable, Hashable {
    /// `messageId`: identifies the message in a partial batch response.
    public var messageID: String
    /// `receiptHandle`: identifies this delivery of the message.
    public var receiptHandle: String
    public var body: String
    /// `ApproximateReceiveCount`: 1 on the first delivery.
    public var receiveCount: Int
    /// `SentTimestamp`: when the message was published.
    public var sentAt: Date
    /// `ApproximateFirstReceiveTimestamp`: when it was first delivered.
    public var firstReceivedAt: Date
    /// `SenderId`: who published it.
    public var senderID: String
    /// `MessageGroupId`, written only when set.
    public var groupID: String?
    /// `MessageDeduplicationId`, written only when set.
    public var deduplicationID: String?
    /// String message attributes, by name.
    public var messageAttributes: [String: String]
    /// The topic it was published to; gives `eventSourceARN`.
    public var topic: String

    public init(
        messageID: String,
        receiptHandle: String,
        body: String,
        receiveCount: Int,
        sentAt: Date,
        firstReceivedAt: Date,
        senderID: String,
        groupID: String? = nil,
        deduplicationID: String? = nil,
        messageAttributes: [String: String] = [:],
        topic: String
    ) {
        self.messageID = messageID
        self.receiptHandle = receiptHandle
        self.body = body
        self.receiveCount = receiveCount
        self.sentAt = sentAt
        self.firstReceivedAt = firstReceivedAt
        self.senderID = senderID
        self.groupID = groupID
        self.deduplicationID = deduplicationID
        self.messageAttributes = messageAttributes
        self.topic = topic
    }
}
