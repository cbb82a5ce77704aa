import FlintCore
import Foundation
import Testing

@Suite struct SQSBatchResponseTests {
    private let batch: Set<String> = ["m1", "m2", "m3"]

    private func outcome(_ output: String) -> SQSBatchResponse.Outcome {
        SQSBatchResponse.parse(Data(output.utf8), messageIDs: batch)
    }

    @Test func listedMessages_failed_theOthersSucceeded() {
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#) == .someFailed(["m2"]))
        #expect(outcome(#" {"batchItemFailures": [{"itemIdentifier": "m1", "extra": 1}, {"itemIdentifier": "m3"}, {"itemIdentifier": "m1"}]} "#)
            == .someFailed(["m1", "m3"]))
    }

    @Test(arguments: [
        "", "  \n\t", "null", #"{"batchItemFailures":[]}"#, #"{"batchItemFailures":null}"#, "{}", #"{"statusCode":200}"#,
        #""done""#, "42", "[1, 2]", "true",
    ])
    func nothingListed_everyMessageSucceeded(output: String) {
        #expect(outcome(output) == .allSucceeded)
    }

    @Test func unreadableResponses_failTheWholeBatch_saying_why() {
        let shape = #"batchItemFailures must be a list of {"itemIdentifier": "<messageId>"} objects"#
        #expect(outcome("{not json") == .wholeBatchFailed(reason: "the output is not valid JSON, so it cannot say which messages failed"))
        #expect(outcome(#"{"batchItemFailures":"m1"}"#) == .wholeBatchFailed(reason: "\(shape); it is not a list"))
        #expect(outcome(#"{"batchItemFailures":{"itemIdentifier":"m1"}}"#) == .wholeBatchFailed(reason: "\(shape); it is not a list"))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":"m1"},"m2"]}"#)
            == .wholeBatchFailed(reason: "\(shape); batchItemFailures[1] is not one"))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":2}]}"#)
            == .wholeBatchFailed(reason: "\(shape); batchItemFailures[0] is not one"))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":null}]}"#)
            == .wholeBatchFailed(reason: "\(shape); batchItemFailures[0] is not one"))
        #expect(outcome(#"{"batchItemFailures":[{"id":"m1"}]}"#)
            == .wholeBatchFailed(reason: "\(shape); batchItemFailures[0] is not one"))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m9"}]}"#)
            == .wholeBatchFailed(reason: #"batchItemFailures[1].itemIdentifier "m9" is not the messageId of a message in this batch"#))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":""}]}"#)
            == .wholeBatchFailed(reason: #"batchItemFailures[0].itemIdentifier "" is not the messageId of a message in this batch"#))
    }

    @Test func hostileOutput_neverCrashes_andFailsTheWholeBatch() {
        var random = SplitMix(seed: 42)
        for _ in 0 ..< 2_000 {
            let garbage = Data((0 ..< random.next(below: 64) + 1).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            let result = SQSBatchResponse.parse(garbage, messageIDs: batch)
            // Random bytes may happen to be whitespace or a small JSON value; either way no crash.
            if case .someFailed = result { Issue.record("garbage named messages: \(Array(garbage))") }
        }
        let notUTF8 = Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D])
        #expect(SQSBatchResponse.parse(notUTF8, messageIDs: batch) != .allSucceeded)
        let deep = String(repeating: #"{"batchItemFailures":["#, count: 50_000) + String(repeating: "]}", count: 50_000)
        #expect(outcome(deep) != .allSucceeded)
        let deepArrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(outcome(deepArrays) != .allSucceeded)
        #expect(SQSBatchResponse.parse(Data([0x00, 0x00, 0x00]), messageIDs: batch) != .allSucceeded)
    }

    @Test func outputWithoutTheKey_isCheckedAsJSON_strictly() {
        // The fast path (no "batchItemFailures" in the bytes) still refuses what is not JSON,
        // including what JSONSerialization would let through.
        #expect(outcome(#"{"Records":[{"body":"x"}],"n":[1,2,3]}"#) == .allSucceeded)
        #expect(outcome("[1,]") == .wholeBatchFailed(reason: "the output is not valid JSON, so it cannot say which messages failed"))
        #expect(outcome("{\"a\":1} trailing") != .allSucceeded)
    }

    @Test func keyWrittenWithEscapes_isStillRead() {
        #expect(outcome(#"{"batch\u0049temFailures":[{"itemIdentifier":"m1"}]}"#) == .someFailed(["m1"]))
    }
}
