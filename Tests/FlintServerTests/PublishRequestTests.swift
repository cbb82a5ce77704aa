import FlintCore
import Foundation
@testable import FlintServer
import Testing

/// `POST /v1/topics/{topic}/messages` takes what `flint publish` takes, and refuses what it refuses.
@Suite struct PublishRequestTests {
    static func parse(_ body: String) throws(PublishRequest.Problem) -> PublishRequest {
        try PublishRequest.parse(Data(body.utf8), topic: "orders")
    }

    @Test func aMessageObject_andAList_areParsed() throws {
        let one = try Self.parse(#"{"body": "x", "attributes": {"k": "v"}, "dedup_key": "d", "group_key": "g"}"#)
        #expect(!one.isBatch)
        #expect(one.messages.map(\.body) == ["x"])
        #expect(one.messages.first?.attributes == ["k": "v"])
        let list = try Self.parse(#"[{"body": {"b": 1, "a": [true]}}, {"body": ""}]"#)
        #expect(list.isBatch)
        #expect(list.messages.map(\.body) == [#"{"b": 1, "a": [true]}"#, ""])
    }

    /// A JSON-valued body is stored as it was written: read and written again, `1.0` would be
    /// `1`, an integer past 2^53 rounded, and a name given twice lose one of its values.
    @Test func aJSONBody_isStoredAsItWasWritten() throws {
        let bodies = [
            "1.0", "3.0e2", "-0", "12345678901234567890", #"{"a":1,"a":2}"#, #"[1.10, {"z": null, "é": "\u00e9"}]"#, "true",
        ]
        for body in bodies {
            #expect(try Self.parse(#"{"attributes": {}, "body": \#(body), "dedup_key": "k"}"#).messages.map(\.body) == [body])
        }
        let list = try Self.parse("[" + bodies.map { #"{"body" : \#($0)}"# }.joined(separator: ", ") + #", {"body": "text"}]"#)
        #expect(list.messages.map(\.body) == bodies + ["text"])
        // The member is found by its name however it is written, and the last of two counts.
        #expect(try Self.parse(#"{"b\u006fdy": [ 1.50 ]}"#).messages.map(\.body) == ["[ 1.50 ]"])
        #expect(try Self.parse(#"{"body": 1.0, "body": 2.0}"#).messages.map(\.body) == ["2.0"])
        // A number beyond a Double's range is valid JSON, but not readable: said so.
        #expect(throws: PublishRequest.Problem(description: "the request holds a number too large to read (beyond ±1.8e308); send such a body as a JSON string")) {
            try Self.parse(#"{"body": 1e400}"#)
        }
    }

    /// JSONSerialization forgives these; the API does not, as the Invoke API does not.
    @Test(arguments: [#"{"body": "x",}"#, #"[{"body": "x"},]"#, "\u{FEFF}" + #"{"body": "x"}"#])
    func aBodyThatIsNotStrictJSON_isRefused(body: String) {
        #expect(throws: PublishRequest.Problem.self) { try Self.parse(body) }
    }

    @Test func aNullBody_isRefused_ratherThanStoredAsTheTextNull() {
        #expect(throws: PublishRequest.Problem.self) { try Self.parse(#"{"body": null}"#) }
        #expect(throws: PublishRequest.Problem.self) { try Self.parse(#"[{"body": "x"}, {"body": null}]"#) }
    }

    /// As `flint publish --attr =v` refuses it: SQS attributes have names.
    @Test func anAttributeWithAnEmptyName_isRefused() {
        #expect(throws: PublishRequest.Problem.self) { try Self.parse(#"{"body": "x", "attributes": {"": "v"}}"#) }
    }
}
