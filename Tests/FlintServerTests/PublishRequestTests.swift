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
        #expect(list.messages.map(\.body) == [#"{"a":[true],"b":1}"#, ""])
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
