public import Foundation

/// What an asynchronous invocation publishes to its function's `on_success` or `on_failure`
/// topic: Lambda's destination record, so consumers written for Lambda destinations read it as is.
public struct DestinationRecord: Sendable {
    /// Why the record was published: `requestContext.condition`.
    public enum Condition: String, Sendable {
        case success = "Success"
        case retriesExhausted = "RetriesExhausted"
    }

    /// The invocation's id.
    public var requestID: String
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST`, the version that ran.
    public var functionARN: String
    public var condition: Condition
    /// How many times the function ran for this event, retries included.
    public var approximateInvokeCount: Int
    /// When the last attempt ended.
    public var timestamp: Date
    /// The event the function was invoked with; embedded as JSON when it is JSON, else as a string.
    public var requestPayload: Data
    /// `Unhandled` for a failed invocation; nil for a successful one.
    public var functionError: String?
    /// The last attempt's output (for a failure, its error document); embedded as JSON when it is
    /// JSON, else as a string, and `null` when empty.
    public var responsePayload: Data

    public init(
        requestID: String,
        functionARN: String,
        condition: Condition,
        approximateInvokeCount: Int,
        timestamp: Date,
        requestPayload: Data,
        functionError: String? = nil,
        responsePayload: Data
    ) {
        self.requestID = requestID
        self.functionARN = functionARN
        self.condition = condition
        self.approximateInvokeCount = approximateInvokeCount
        self.timestamp = timestamp
        self.requestPayload = requestPayload
        self.functionError = functionError
        self.responsePayload = responsePayload
    }

    /// The record as JSON, members in the order Lambda writes them:
    /// `{"version":"1.0","timestamp","requestContext":{"requestId","functionArn","condition",
    /// "approximateInvokeCount"},"requestPayload","responseContext":{"statusCode":200,
    /// "executedVersion":"$LATEST","functionError"},"responsePayload"}`.
    ///
    /// A record over `limit` bytes (a message's) would be refused by the bus and lost with what it
    /// tells: as Lambda does for a destination's size limit, the payloads are left out then
    /// (`null`), the larger first, and both if that is not enough.
    public func encoded(limit: Int = OutgoingMessage.maxBytes) -> Data {
        let whole = encoded(request: true, response: true)
        guard whole.count > limit else { return whole }
        let keepingRequest = requestPayload.count <= responsePayload.count
        let one = encoded(request: keepingRequest, response: !keepingRequest)
        guard one.count > limit else { return one }
        return encoded(request: false, response: false)
    }

    private func encoded(request includesRequest: Bool, response includesResponse: Bool) -> Data {
        var writer = JSONWriter(capacity: 512 + requestPayload.count + responsePayload.count)
        writer.beginObject()
        writer.key("version")
        writer.string("1.0")
        writer.key("timestamp")
        writer.string(UTCTimestamp(timestamp).iso8601)
        writer.key("requestContext")
        writer.beginObject()
        writer.key("requestId")
        writer.string(requestID)
        writer.key("functionArn")
        writer.string(functionARN)
        writer.key("condition")
        writer.string(condition.rawValue)
        writer.key("approximateInvokeCount")
        writer.integer(approximateInvokeCount)
        writer.endObject()
        writer.key("requestPayload")
        if includesRequest {
            Self.writePayload(requestPayload, to: &writer)
        } else {
            writer.null()
        }
        writer.key("responseContext")
        writer.beginObject()
        writer.key("statusCode")
        writer.integer(200)
        writer.key("executedVersion")
        writer.string("$LATEST")
        if let functionError {
            writer.key("functionError")
            writer.string(functionError)
        }
        writer.endObject()
        writer.key("responsePayload")
        if responsePayload.isEmpty || !includesResponse {
            writer.null()
        } else {
            Self.writePayload(responsePayload, to: &writer)
        }
        writer.endObject()
        return writer.data
    }

    /// JSON as it is; anything else as a string (bytes that are not UTF-8 replaced by U+FFFD).
    private static func writePayload(_ payload: Data, to writer: inout JSONWriter) {
        if !writer.embedJSON(payload) {
            writer.string(String(decoding: payload, as: UTF8.self))
        }
    }
}
