public import Foundation

/// The SQS event a queue trigger hands its function (LAMBDA.md §3).
public enum SQSEvent {
    /// Encodes `records` as `{"Records":[...]}`, keys in sorted order. Every attribute value is a
    /// string, as SQS writes them; `md5OfBody` is the hex MD5 of the body's UTF-8 bytes, and
    /// `eventSourceARN` is `arn:aws:sqs:REGION:ACCOUNT:TOPIC`.
    public static func encode(_ records: [SQSMessageRecord], region: String, account: String) -> Data {
        encode(records, region: region, account: account, sizeLimit: .max).payload
    }

    /// Lambda's limit on an invocation's payload, which bounds a batch (6 MiB, as Flint counts
    /// the synchronous limit everywhere).
    public static let payloadLimit = 6 * 1024 * 1024

    /// What a record adds to its message's body and attributes, at most, for ids, topic and group
    /// key of usual lengths (up to ~80 bytes each): the envelope a batch's byte budget counts
    /// for each message.
    public static let recordOverhead = 1_024

    /// Encodes as many of `records`, in order, as keep the event within `sizeLimit` bytes, and
    /// says how many that was. The first record is always taken, even alone over the limit (a
    /// message of control characters escapes to six times its size), so a batch always moves.
    public static func encode(
        _ records: [SQSMessageRecord], region: String, account: String, sizeLimit: Int
    ) -> (payload: Data, count: Int) {
        let estimate = records.reduce(16) { $0 + recordOverhead + $1.body.utf8.count + $1.messageAttributes.count * 96 }
        var writer = JSONWriter(capacity: min(estimate, sizeLimit))
        writer.beginObject()
        writer.key("Records")
        writer.beginArray()
        var count = 0
        for record in records {
            let before = writer.mark
            write(record, region: region, account: account, to: &writer)
            // The two closing brackets are still to come.
            if count > 0, writer.bytes.count + 2 > sizeLimit {
                writer.rollBack(to: before)
                break
            }
            count += 1
        }
        writer.endArray()
        writer.endObject()
        return (writer.data, count)
    }

    private static func write(_ record: SQSMessageRecord, region: String, account: String, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("attributes")
        writer.object(attributes(of: record))
        writer.key("awsRegion")
        writer.string(region)
        writer.key("body")
        writer.string(record.body)
        writer.key("eventSource")
        writer.string("aws:sqs")
        writer.key("eventSourceARN")
        writer.string("arn:aws:sqs:\(region):\(account):\(record.topic)")
        writer.key("md5OfBody")
        writer.string(MD5.hex(record.body.utf8))
        writer.key("messageAttributes")
        writer.beginObject()
        for name in record.messageAttributes.keys.sorted() {
            writer.key(name)
            writeStringAttribute(record.messageAttributes[name] ?? "", to: &writer)
        }
        writer.endObject()
        writer.key("messageId")
        writer.string(record.messageID)
        writer.key("receiptHandle")
        writer.string(record.receiptHandle)
        writer.endObject()
    }

    /// The `attributes` member; `MessageGroupId` and `MessageDeduplicationId` only when set.
    static func attributes(of record: SQSMessageRecord) -> [String: String] {
        var attributes = [
            "ApproximateReceiveCount": String(record.receiveCount),
            "SentTimestamp": String(UTCTimestamp(record.sentAt).epochMilliseconds),
            "ApproximateFirstReceiveTimestamp": String(UTCTimestamp(record.firstReceivedAt).epochMilliseconds),
            "SenderId": record.senderID,
        ]
        if let groupID = record.groupID { attributes["MessageGroupId"] = groupID }
        if let deduplicationID = record.deduplicationID { attributes["MessageDeduplicationId"] = deduplicationID }
        return attributes
    }

    /// A `String` message attribute as the SQS event writes one.
    private static func writeStringAttribute(_ value: String, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("binaryListValues")
        writer.beginArray()
        writer.endArray()
        writer.key("dataType")
        writer.string("String")
        writer.key("stringListValues")
        writer.beginArray()
        writer.endArray()
        writer.key("stringValue")
        writer.string(value)
        writer.endObject()
    }
}
