import NIOCore

/// One event as a runtime receives it from `GET /runtime/invocation/next`.
struct RuntimeAPIEvent {
    var requestID: String
    /// Epoch milliseconds (`Lambda-Runtime-Deadline-Ms`).
    var deadlineMillis: Int64
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, with `:QUALIFIER` when the caller named one.
    var functionARN: String
    /// `Lambda-Runtime-Client-Context`: JSON text, when the caller sent one.
    var clientContext: String?
    var payload: ByteBuffer
}

/// What the instance makes of a runtime's report on an invocation.
enum RuntimeAPIReply {
    /// 202 `{"status":"OK"}`.
    case accepted
    /// 400 `InvalidRequestID`: not the invocation this runtime holds.
    case invalidRequestID
}

/// The fixed bodies and headers of the Runtime API's answers, made once.
enum RuntimeAPIBodies {
    static let accepted = ByteBuffer(string: #"{"status":"OK"}"#)
    static let invalidRequestID = ByteBuffer(string: #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)
    static let notFound = ByteBuffer(string: #"{"errorMessage":"Unknown Runtime API path; the base path is /2018-06-01/runtime/","errorType":"NotFound"}"#)
    static let methodNotAllowed = ByteBuffer(string: #"{"errorMessage":"Method not allowed on this Runtime API path","errorType":"MethodNotAllowed"}"#)

    static func tooLarge(limit: Int) -> ByteBuffer {
        ByteBuffer(string: #"{"errorMessage":"Exceeded maximum allowed payload size (\#(limit) bytes).","errorType":"RequestEntityTooLarge"}"#)
    }
}
