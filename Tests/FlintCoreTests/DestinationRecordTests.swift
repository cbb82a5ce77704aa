import FlintCore
import Foundation
import Testing

@Suite struct DestinationRecordTests {
    private func record(
        _ condition: DestinationRecord.Condition, request: String, response: String, functionError: String? = nil
    ) -> String {
        let record = DestinationRecord(
            requestID: "req-1",
            functionARN: "arn:aws:lambda:local:000000000000:function:echo",
            condition: condition,
            approximateInvokeCount: 3,
            timestamp: Date(timeIntervalSince1970: 1_714_566_896.789),
            requestPayload: Data(request.utf8),
            functionError: functionError,
            responsePayload: Data(response.utf8)
        )
        return String(decoding: record.encoded(), as: UTF8.self)
    }

    @Test func success_embedsJSONPayloadsAsTheyAre() throws {
        let text = record(.success, request: #" {"n": 1} "#, response: "[true]\n")
        #expect(text == #"{"version":"1.0","timestamp":"2024-05-01T12:34:56.789Z","requestContext":{"requestId":"req-1","#
            + #""functionArn":"arn:aws:lambda:local:000000000000:function:echo","condition":"Success","approximateInvokeCount":3},"#
            + #""requestPayload":{"n": 1},"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":[true]}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    @Test func failure_namesTheFunctionError_andWritesOtherPayloadsAsStrings() throws {
        let text = record(.retriesExhausted, request: "plain text", response: "Traceback: boom\n", functionError: "Unhandled")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let context = try #require(object["requestContext"] as? [String: Any])
        let response = try #require(object["responseContext"] as? [String: Any])
        #expect(context["condition"] as? String == "RetriesExhausted")
        #expect(response["functionError"] as? String == "Unhandled")
        #expect(object["requestPayload"] as? String == "plain text")
        #expect(object["responsePayload"] as? String == "Traceback: boom\n")
    }

    @Test func emptyResponse_isNull_andAlmostJSONIsAString() throws {
        let text = record(.success, request: "[1,]", response: "")
        #expect(text.hasSuffix(#""responsePayload":null}"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["requestPayload"] as? String == "[1,]")
    }

    /// A record the bus would refuse (over 1 MiB) would be lost with what it tells: the payloads
    /// are left out, the larger first, as Lambda does for a destination's size limit.
    @Test func destinationRecord_overTheMessageLimit_leavesOutItsPayloads_largerFirst() throws {
        func record(request: Int, response: Int) -> DestinationRecord {
            DestinationRecord(
                requestID: "i-1", functionARN: "arn", condition: .retriesExhausted, approximateInvokeCount: 1, timestamp: Date(),
                requestPayload: Data(#""\#(String(repeating: "q", count: request))""#.utf8), functionError: "Unhandled",
                responsePayload: Data(#""\#(String(repeating: "r", count: response))""#.utf8))
        }
        let fits = try json(record(request: 10, response: 10).encoded(limit: 1000))
        #expect(fits["requestPayload"] as? String == String(repeating: "q", count: 10))
        let bigRequest = try json(record(request: 2000, response: 10).encoded(limit: 1000))
        #expect(bigRequest["requestPayload"] is NSNull)
        #expect(bigRequest["responsePayload"] as? String == String(repeating: "r", count: 10))
        let bigResponse = try json(record(request: 10, response: 2000).encoded(limit: 1000))
        #expect(bigResponse["requestPayload"] as? String == String(repeating: "q", count: 10))
        #expect(bigResponse["responsePayload"] is NSNull)
        let bothBig = try json(record(request: 800, response: 900).encoded(limit: 1000))
        #expect(bothBig["requestPayload"] is NSNull)
        #expect(bothBig["responsePayload"] is NSNull)
        #expect((bothBig["requestContext"] as? [String: Any])?["condition"] as? String == "RetriesExhausted")
    }

    private func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
