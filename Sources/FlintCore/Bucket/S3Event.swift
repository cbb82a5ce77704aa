public import Foundation

/// The S3 event notification a bucket trigger hands its function (LAMBDA.md §3): one record per
/// event, so Lambda handlers and their S3 libraries read it unchanged.
public enum S3Event {
    /// Encodes one recorded change as an event of one record, keys in S3's own order.
    ///
    /// - Parameters:
    ///   - recorded: the change and its sequencer.
    ///   - trigger: the trigger's name; S3's `configurationId` (the notification's name).
    ///   - eventTime: when the change was seen; written in UTC with milliseconds
    ///     (`2024-05-01T12:34:56.789Z`).
    ///   - requestID: both `x-amz-request-id` and `x-amz-id-2`: an id of this event, for logs.
    ///   - region: `awsRegion`.
    ///   - account: not written: an S3 record names no account. Taken so the caller hands every
    ///     event encoder the same identity.
    public static func encode(
        _ recorded: RecordedChange, trigger: String, eventTime: Date, requestID: String, region: String, account: String
    ) -> Data {
        let change = recorded.change
        // Keys grow up to threefold when encoded; the rest is about 600 bytes of fixed text.
        var writer = JSONWriter(capacity: 640 + 3 * change.key.utf8.count + 2 * change.bucket.utf8.count + trigger.utf8.count)
        writer.beginObject()
        writer.key("Records")
        writer.beginArray()
        writer.beginObject()
        writer.key("eventVersion")
        writer.string("2.1")
        writer.key("eventSource")
        writer.string("aws:s3")
        writer.key("awsRegion")
        writer.string(region)
        writer.key("eventTime")
        writer.string(UTCTimestamp(eventTime).iso8601)
        writer.key("eventName")
        writer.string(eventName(change.kind))
        writer.key("userIdentity")
        writer.object(["principalId": principal])
        writer.key("requestParameters")
        writer.object(["sourceIPAddress": "127.0.0.1"])
        writer.key("responseElements")
        writer.beginObject()
        writer.key("x-amz-request-id")
        writer.string(requestID)
        writer.key("x-amz-id-2")
        writer.string(requestID)
        writer.endObject()
        writer.key("s3")
        writeEntity(recorded, trigger: trigger, to: &writer)
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.data
    }

    /// Who S3 would say made the change and owns the bucket: Flint, for every object.
    static let principal = "flint"

    /// S3's name for what happened. A rename into the bucket is S3's copy: the object appears
    /// complete, in one step, as a server-side copy does.
    static func eventName(_ kind: ObjectChange.Kind) -> String {
        switch kind {
        case .put: "ObjectCreated:Put"
        case .moved: "ObjectCreated:Copy"
        case .removed: "ObjectRemoved:Delete"
        }
    }

    /// The record's `s3` member: bucket and object. A removal has no `size` and no `eTag`, as in S3.
    private static func writeEntity(_ recorded: RecordedChange, trigger: String, to writer: inout JSONWriter) {
        let change = recorded.change
        writer.beginObject()
        writer.key("s3SchemaVersion")
        writer.string("1.0")
        writer.key("configurationId")
        writer.string(trigger)
        writer.key("bucket")
        writer.beginObject()
        writer.key("name")
        writer.string(change.bucket)
        writer.key("ownerIdentity")
        writer.object(["principalId": principal])
        writer.key("arn")
        writer.string("arn:aws:s3:::\(change.bucket)")
        writer.endObject()
        writer.key("object")
        writer.beginObject()
        writer.key("key")
        writer.string(ObjectKey.formURLEncoded(change.key))
        if let version = change.version {
            writer.key("size")
            writer.integer(version.size)
            writer.key("eTag")
            writer.string(version.eTag)
        }
        writer.key("sequencer")
        writer.string(sequencer(recorded.sequencer))
        writer.endObject()
        writer.endObject()
    }

    /// `sequencer` as 16 upper-case hex digits, zero-padded: fixed width, so the strings of one
    /// key's events sort as their numbers do (handlers compare them as strings, as S3 advises).
    /// Sequencers are never negative; a negative one would be written as its bit pattern.
    static func sequencer(_ value: Int64) -> String {
        fixedWidthHex(UInt64(bitPattern: value))
    }

    /// A fresh `requestID`: 16 random upper-case hex digits, the look of S3's request ids.
    public static func newRequestID() -> String {
        fixedWidthHex(UInt64.random(in: 0 ... .max))
    }

    /// `value` as 16 upper-case hex digits, zero-padded.
    private static func fixedWidthHex(_ value: UInt64) -> String {
        var bits = value
        var text = [UInt8](repeating: UInt8(ascii: "0"), count: 16)
        for index in text.indices.reversed() {
            text[index] = hexDigits[Int(bits & 0xF)]
            bits >>= 4
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
