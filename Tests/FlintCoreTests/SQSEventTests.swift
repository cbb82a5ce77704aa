import FlintCore
import Foundation
import Testing

@Suite struct SQSEventTests {
    private let record = SQSMessageRecord(
        messageID: "m1",
        receiptHandle: "r1",
        body: #"{"n": 1}"#,
        receiveCount: 2,
        sentAt: Date(timeIntervalSince1970: 1_545_082_649.183),
        firstReceivedAt: Date(timeIntervalSince1970: 1_545_082_650.649),
        senderID: "flint",
        messageAttributes: ["b": "2", "a": #"x"y"#],
        topic: "images"
    )

    @Test func record_isWrittenAsSQSWritesIt_keysSorted_everyAttributeAString() {
        let event = SQSEvent.encode([record], region: "local", account: "000000000000")
        let attribute = { (value: String) in
            #"{"binaryListValues":[],"dataType":"String","stringListValues":[],"stringValue":"\#(value)"}"#
        }
        let expected = #"{"Records":[{"attributes":{"ApproximateFirstReceiveTimestamp":"1545082650649","#
            + #""ApproximateReceiveCount":"2","SenderId":"flint","SentTimestamp":"1545082649183"},"awsRegion":"local","#
            + #""body":"{\"n\": 1}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:local:000000000000:images","#
            + #""md5OfBody":"96d730b7a405ed0e9cb1068b43e06fe4","messageAttributes":{"a":\#(attribute(#"x\"y"#)),"#
            + #""b":\#(attribute("2"))},"messageId":"m1","receiptHandle":"r1"}]}"#
        #expect(String(decoding: event, as: UTF8.self) == expected)
    }

    @Test func groupAndDeduplicationIDs_areWrittenOnlyWhenSet() throws {
        var fifo = record
        fifo.groupID = "g"
        fifo.deduplicationID = "d"
        let records = try decodedRecords(SQSEvent.encode([record, fifo], region: "eu-west-1", account: "123"))
        let plain = try #require(records[0]["attributes"] as? [String: Any])
        let grouped = try #require(records[1]["attributes"] as? [String: Any])
        #expect(Set(plain.keys) == ["ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"])
        #expect(grouped["MessageGroupId"] as? String == "g")
        #expect(grouped["MessageDeduplicationId"] as? String == "d")
        #expect(grouped.values.allSatisfy { $0 is String })
        #expect(records[1]["awsRegion"] as? String == "eu-west-1")
        #expect(records[1]["eventSourceARN"] as? String == "arn:aws:sqs:eu-west-1:123:images")
    }

    @Test func md5OfBody_isOfTheBodysUTF8() throws {
        var text = record
        text.body = "héllo"
        let records = try decodedRecords(SQSEvent.encode([text], region: "local", account: "0"))
        #expect(records[0]["body"] as? String == "héllo")
        #expect(records[0]["md5OfBody"] as? String == "be50e8478cf24ff3595bc7307fb91b50")
        #expect(records[0]["messageAttributes"] as? [String: Any] != nil)
    }

    @Test func noRecords_isAnEmptyList() {
        #expect(String(decoding: SQSEvent.encode([], region: "local", account: "0"), as: UTF8.self) == #"{"Records":[]}"#)
    }

    @Test func sizeLimit_keepsWholeRecordsInOrder_asManyAsFit() throws {
        let records = (0 ..< 5).map { index in
            var big = record
            big.messageID = "m\(index)"
            big.body = String(repeating: "x", count: 1_000)
            return big
        }
        let whole = SQSEvent.encode(records, region: "local", account: "0")
        let (payload, count) = SQSEvent.encode(records, region: "local", account: "0", sizeLimit: whole.count - 1)
        #expect(count == 4)
        #expect(payload.count <= whole.count - 1)
        #expect(try decodedRecords(payload).map { $0["messageId"] as? String } == ["m0", "m1", "m2", "m3"])
        // Exactly at the limit, everything fits.
        let exact = SQSEvent.encode(records, region: "local", account: "0", sizeLimit: whole.count)
        #expect(exact.count == 5)
        #expect(exact.payload == whole)
    }

    @Test func recordOverhead_coversTheEnvelopeOfAMessageWithLongIDs() {
        let long = String(repeating: "g", count: 80)
        let empty = SQSMessageRecord(
            messageID: "01a2096d-77f1-7289-a873-ae03400bd3ea", receiptHandle: "123456789012.123", body: "",
            receiveCount: 1_000, sentAt: Date(timeIntervalSince1970: 4_102_444_800), firstReceivedAt: Date(timeIntervalSince1970: 4_102_444_800),
            senderID: "flint", groupID: long, deduplicationID: long, topic: long
        )
        let event = SQSEvent.encode([empty], region: "ap-southeast-2", account: "123456789012")
        let envelope = event.count - #"{"Records":[]}"#.utf8.count
        #expect(envelope <= SQSEvent.recordOverhead, "\(envelope) bytes")
    }

    @Test func sizeLimit_countsTheEscapedBytes_andAlwaysTakesTheFirstRecord() throws {
        var quoted = record
        quoted.body = String(repeating: "\u{1}", count: 1_000)  // each escapes to \u0001: six bytes
        let (alone, taken) = SQSEvent.encode([quoted, record], region: "local", account: "0", sizeLimit: 3_000)
        #expect(taken == 1)
        #expect(alone.count > 6_000)
        #expect(try decodedRecords(alone).first?["body"] as? String == quoted.body)
        let none = SQSEvent.encode([], region: "local", account: "0", sizeLimit: 1)
        #expect(none.count == 0)
        #expect(String(decoding: none.payload, as: UTF8.self) == #"{"Records":[]}"#)
    }

    private func decodedRecords(_ event: Data) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: event) as? [String: Any])
        return try #require(object["Records"] as? [[String: Any]])
    }
}
