public import Foundation

/// What a queue trigger's function said about its batch: Lambda's partial batch response
/// (`ReportBatchItemFailures`), read from the function's output.
public enum SQSBatchResponse {
    /// Which messages of a batch to retry.
    public enum Outcome: Sendable, Hashable {
        /// Every message is done.
        case allSucceeded
        /// These messages (by `messageId`) failed; the others are done.
        case someFailed(Set<String>)
        /// The output could not be read as a partial batch response, so every message failed;
        /// `reason` says why, for people.
        case wholeBatchFailed(reason: String)
    }

    /// Reads a successful invocation's output against the batch it was given.
    ///
    /// `{"batchItemFailures":[{"itemIdentifier":"<messageId>"}, ...]}` fails those messages. An
    /// empty list, `null`, empty or whitespace-only output, and valid JSON without
    /// `batchItemFailures` mean every message succeeded. Invalid JSON, a `batchItemFailures` that
    /// is not a list of objects with a string `itemIdentifier`, or an identifier not in
    /// `messageIDs` fail the whole batch, as Lambda does.
    public static func parse(_ output: Data, messageIDs: Set<String>) -> Outcome {
        guard output.contains(where: { !isJSONWhitespace($0) }) else { return .allSucceeded }
        // Output that cannot name batchItemFailures (not even through \u escapes) only has to be
        // valid JSON, which is checked without building it: a handler that echoes its event
        // answers kilobytes, and parsing them into objects was a few % of a batch's CPU.
        let quickVerdict = output.withUnsafeBytes { raw -> Outcome? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard !contains(batchItemFailuresKey, in: bytes), !contains(unicodeEscape, in: bytes) else { return nil }
            return JSONSyntax.valueRange(in: bytes) != nil ? .allSucceeded : .wholeBatchFailed(reason: notJSON)
        }
        if let quickVerdict { return quickVerdict }
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: output, options: .fragmentsAllowed)
        } catch {
            return .wholeBatchFailed(reason: notJSON)
        }
        guard let object = document as? [String: Any], let failures = object["batchItemFailures"], !(failures is NSNull) else {
            return .allSucceeded
        }
        let shape = #"batchItemFailures must be a list of {"itemIdentifier": "<messageId>"} objects"#
        guard let items = failures as? [Any] else {
            return .wholeBatchFailed(reason: "\(shape); it is not a list")
        }
        var failed: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let member = item as? [String: Any], let identifier = member["itemIdentifier"] as? String else {
                return .wholeBatchFailed(reason: "\(shape); batchItemFailures[\(index)] is not one")
            }
            guard messageIDs.contains(identifier) else {
                return .wholeBatchFailed(
                    reason: "batchItemFailures[\(index)].itemIdentifier \"\(identifier)\" is not the messageId of a message in this batch"
                )
            }
            failed.insert(identifier)
        }
        return failed.isEmpty ? .allSucceeded : .someFailed(failed)
    }

    private static let batchItemFailuresKey = Array("batchItemFailures".utf8)
    private static let unicodeEscape = Array("\\u".utf8)

    /// Whether `needle` occurs in `haystack` (a plain scan: `Data.range(of:)` is several times slower).
    private static func contains(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, needle.indices.allSatisfy({ haystack[index + $0] == needle[$0] }) { return true }
            index += 1
        }
        return false
    }
    private static let notJSON = "the output is not valid JSON, so it cannot say which messages failed"

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
