import FlintCore
import Foundation
import Testing

@Suite struct S3EventTests {
    static let version = ObjectVersion(size: 1234, modifiedAtNanos: 1_714_566_896_000_000_000, inode: 42, eTag: "0123456789abcdef0123456789abcdef")
    /// 2024-05-01T12:34:56.789Z.
    static let eventTime = Date(timeIntervalSince1970: 1_714_566_896.789)

    private func encode(_ change: ObjectChange, sequencer: Int64 = 1, trigger: String = "thumbnails") -> Data {
        S3Event.encode(
            RecordedChange(change: change, sequencer: sequencer), trigger: trigger, eventTime: Self.eventTime,
            requestID: "inv-1", region: "local", account: "000000000000"
        )
    }

    /// The event's only record, decoded.
    private func record(_ change: ObjectChange, sequencer: Int64 = 1, trigger: String = "thumbnails") throws -> [String: Any] {
        let event = try #require(try JSONSerialization.jsonObject(with: encode(change, sequencer: sequencer, trigger: trigger)) as? [String: Any])
        #expect(event.keys.sorted() == ["Records"])
        let records = try #require(event["Records"] as? [[String: Any]])
        try #require(records.count == 1)
        return records[0]
    }

    private func object(of record: [String: Any]) throws -> [String: Any] {
        let s3 = try #require(record["s3"] as? [String: Any])
        return try #require(s3["object"] as? [String: Any])
    }

    @Test func put_isWrittenAsS3WritesIt_fieldsInS3sOrder() {
        let event = encode(ObjectChange(bucket: "uploads", key: "images/cat.png", kind: .put(Self.version)), sequencer: 255)
        #expect(String(decoding: event, as: UTF8.self) == #"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","#
            + #""awsRegion":"local","eventTime":"2024-05-01T12:34:56.789Z","eventName":"ObjectCreated:Put","#
            + #""userIdentity":{"principalId":"flint"},"requestParameters":{"sourceIPAddress":"127.0.0.1"},"#
            + #""responseElements":{"x-amz-request-id":"inv-1","x-amz-id-2":"inv-1"},"#
            + #""s3":{"s3SchemaVersion":"1.0","configurationId":"thumbnails","#
            + #""bucket":{"name":"uploads","ownerIdentity":{"principalId":"flint"},"arn":"arn:aws:s3:::uploads"},"#
            + #""object":{"key":"images/cat.png","size":1234,"eTag":"0123456789abcdef0123456789abcdef","#
            + #""sequencer":"00000000000000FF"}}}]}"#)
    }

    @Test func put_everyFieldDecodes() throws {
        let record = try record(ObjectChange(bucket: "uploads", key: "a.png", kind: .put(Self.version)), sequencer: 7, trigger: "main#2")
        #expect(record.keys.sorted() == [
            "awsRegion", "eventName", "eventSource", "eventTime", "eventVersion", "requestParameters", "responseElements", "s3",
            "userIdentity",
        ])
        #expect(record["eventVersion"] as? String == "2.1")
        #expect(record["eventSource"] as? String == "aws:s3")
        #expect(record["awsRegion"] as? String == "local")
        #expect(record["eventTime"] as? String == "2024-05-01T12:34:56.789Z")
        #expect(record["eventName"] as? String == "ObjectCreated:Put")
        #expect(record["userIdentity"] as? [String: String] == ["principalId": "flint"])
        #expect(record["requestParameters"] as? [String: String] == ["sourceIPAddress": "127.0.0.1"])
        #expect(record["responseElements"] as? [String: String] == ["x-amz-request-id": "inv-1", "x-amz-id-2": "inv-1"])

        let s3 = try #require(record["s3"] as? [String: Any])
        #expect(s3.keys.sorted() == ["bucket", "configurationId", "object", "s3SchemaVersion"])
        #expect(s3["s3SchemaVersion"] as? String == "1.0")
        #expect(s3["configurationId"] as? String == "main#2")
        let bucket = try #require(s3["bucket"] as? [String: Any])
        #expect(bucket.keys.sorted() == ["arn", "name", "ownerIdentity"])
        #expect(bucket["name"] as? String == "uploads")
        #expect(bucket["ownerIdentity"] as? [String: String] == ["principalId": "flint"])
        #expect(bucket["arn"] as? String == "arn:aws:s3:::uploads")
        let object = try object(of: record)
        #expect(object.keys.sorted() == ["eTag", "key", "sequencer", "size"])
        #expect(object["key"] as? String == "a.png")
        #expect(object["size"] as? Int == 1234)
        #expect(object["eTag"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(object["sequencer"] as? String == "0000000000000007")
    }

    @Test func eventTime_isUTCWithMilliseconds_evenWholeSeconds() throws {
        let event = S3Event.encode(
            RecordedChange(change: ObjectChange(bucket: "b", key: "k", kind: .removed), sequencer: 1), trigger: "t",
            eventTime: Date(timeIntervalSince1970: 1_551_403_425), requestID: "r", region: "local", account: "0"
        )
        let decoded = try #require(try JSONSerialization.jsonObject(with: event) as? [String: [[String: Any]]])
        #expect(decoded["Records"]?.first?["eventTime"] as? String == "2019-03-01T01:23:45.000Z")
    }

    @Test func renameIntoTheBucket_isACopy() throws {
        let record = try record(ObjectChange(bucket: "uploads", key: "a.png", kind: .moved(Self.version)))
        #expect(record["eventName"] as? String == "ObjectCreated:Copy")
        let object = try object(of: record)
        #expect(object["size"] as? Int == 1234)
        #expect(object["eTag"] as? String == Self.version.eTag)
    }

    @Test func removal_carriesNoSizeAndNoETag() throws {
        let record = try record(ObjectChange(bucket: "uploads", key: "gone.png", kind: .removed), sequencer: 16)
        #expect(record["eventName"] as? String == "ObjectRemoved:Delete")
        let object = try object(of: record)
        #expect(object.keys.sorted() == ["key", "sequencer"])
        #expect(object["key"] as? String == "gone.png")
        #expect(object["sequencer"] as? String == "0000000000000010")
    }

    @Test func key_isFormURLEncoded_andUnquotePlusGivesItBack() throws {
        let keys = ["my photo (1).jpg", "dir/sub dir/é ü 日本.png", "a+b%20c", "100% (final)!.txt", "line\nbreak\ttab.txt", "~*-_.", "\"quoted\\\""]
        for key in keys {
            let object = try object(of: record(ObjectChange(bucket: "uploads", key: key, kind: .put(Self.version))))
            let encoded = try #require(object["key"] as? String)
            #expect(encoded.allSatisfy { $0.isASCII && !$0.isWhitespace }, "\(encoded)")
            #expect(FormURL.unquotePlus(encoded) == key)
        }
    }

    @Test func sequencer_isSixteenUpperCaseHexDigits_thatSortAsTheNumbersDo() throws {
        let numbers: [Int64] = [0, 1, 9, 10, 15, 16, 255, 256, 0xABCDEF, 1 << 32, Int64.max]
        var sequencers: [String] = []
        for number in numbers {
            let object = try object(of: record(ObjectChange(bucket: "b", key: "k", kind: .removed), sequencer: number))
            sequencers.append(try #require(object["sequencer"] as? String))
        }
        #expect(sequencers.allSatisfy { $0.count == 16 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
        #expect(sequencers == sequencers.sorted())
        #expect(Set(sequencers).count == numbers.count)
        #expect(sequencers[8] == "0000000000ABCDEF")
        #expect(sequencers.last == "7FFFFFFFFFFFFFFF")
    }

    @Test func namesThatNeedEscaping_stayValidJSON() throws {
        let record = try record(ObjectChange(bucket: "uploads", key: "k", kind: .removed), trigger: "we\"ird\\name")
        let s3 = try #require(record["s3"] as? [String: Any])
        #expect(s3["configurationId"] as? String == "we\"ird\\name")
    }
}

/// Form-URL decoding as Python's `urllib.parse.unquote_plus` does it for well-formed input: `+` is
/// a space, `%XX` a byte. Strict, so an encoding the test did not expect shows as a mismatch.
enum FormURL {
    static func unquotePlus(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
