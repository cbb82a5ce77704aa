import Foundation
@testable import FlintServer
import Testing

/// `POST /v1/deadletters/replay` and `/discard` take the same bodies, and refuse the same.
@Suite struct DeadLetterRequestTests {
    static func parse(_ body: String) throws(DeadLetterRequest.Problem) -> DeadLetterRequest {
        try DeadLetterRequest.parse(Data(body.utf8))
    }

    @Test func idsOrAll_eitherWithAFunction_areParsed() throws {
        #expect(try Self.parse(#"{"ids": [12, "13"]}"#) == DeadLetterRequest(ids: [12, 13], function: nil))
        #expect(try Self.parse(#"{"ids": [12], "function": "resize"}"#) == DeadLetterRequest(ids: [12], function: "resize"))
        #expect(try Self.parse(#"{"all": true}"#) == DeadLetterRequest(ids: nil, function: nil))
        #expect(try Self.parse(#"{"all": true, "function": "resize"}"#) == DeadLetterRequest(ids: nil, function: "resize"))
        let most = Array(Int64(1) ... 10_000)
        #expect(try Self.parse(#"{"ids": \#(most)}"#).ids == most)
    }

    /// Nothing that could be taken for "every dead letter" by mistake, nor an id rounded or guessed.
    @Test func anythingElse_isRefused_sayingWhatToSend() {
        let refused: [(body: String, says: String)] = [
            ("", #"send {"ids": [ID, ...]} or {"all": true}"#),
            ("{}", #"send {"ids": [ID, ...]} or {"all": true}"#),
            (#"{"all": false}"#, #"send {"ids": [ID, ...]} or {"all": true}"#),
            (#"{"function": "resize"}"#, #"send {"ids": [ID, ...]} or {"all": true}"#),
            (#"{"ids": []}"#, "ids must be a non-empty list"),
            (#"{"ids": [12.9]}"#, "whole-number dead letter ids"),
            (#"{"ids": [true]}"#, "whole-number dead letter ids"),
            (#"{"ids": ["x"]}"#, "whole-number dead letter ids"),
            (#"{"ids": [12], "all": true}"#, "give ids or all, not both"),
            (#"{"ids": [12], "all": false}"#, "give ids or all, not both"),
            (#"{"all": true, "Function": "resize"}"#, "unknown field(s) Function;"),
            ("[12]", "whole-number dead letter ids"),
            // More than SQLite could bind in one statement.
            ("{\"ids\": [" + (1 ... 10_001).map(String.init).joined(separator: ",") + "]}", "at most 10000 ids per request, not 10001"),
        ]
        for (body, says) in refused {
            do {
                Issue.record("\(body) was taken: \(try Self.parse(body))")
            } catch {
                #expect(error.description.contains(says), "\(body): \(error.description)")
            }
        }
    }
}
