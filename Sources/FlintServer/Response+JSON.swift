internal import FlintCore
internal import Hummingbird
internal import HTTPTypes
internal import Foundation
internal import NIOCore

// Literal, valid token names: these initialisers cannot fail.
extension HTTPField.Name {
    static let flintInvocationID = Self("X-Flint-Invocation-Id")!
    static let amzRequestID = Self("x-amzn-RequestId")!
    static let amzErrorType = Self("x-amzn-ErrorType")!
    static let amzFunctionError = Self("X-Amz-Function-Error")!
    static let amzExecutedVersion = Self("X-Amz-Executed-Version")!
    static let amzLogResult = Self("X-Amz-Log-Result")!
    static let amzInvocationType = Self("X-Amz-Invocation-Type")!
    static let amzLogType = Self("X-Amz-Log-Type")!
    static let amzClientContext = Self("X-Amz-Client-Context")!
    static let forwardedProto = Self("X-Forwarded-Proto")!
    static let forwardedPort = Self("X-Forwarded-Port")!
    static let flintInvocationType = Self("X-Flint-Invocation-Type")!
}

extension Response {
    /// A response with `body` bytes and the given content type.
    static func bytes(_ status: HTTPResponse.Status, _ body: Data, contentType: String = "application/json", headers: HTTPFields = [:]) -> Response {
        var fields = headers
        if fields[.contentType] == nil { fields[.contentType] = contentType }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A JSON response from an `Encodable` value (snake_case keys come from the value's CodingKeys).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        // Encoding Flint's own value types cannot fail; an empty object is the honest fallback.
        let body = (try? FlintJSON.encoder.encode(value)) ?? Data("{}".utf8)
        return .bytes(status, body, headers: headers)
    }

    /// `{"message": ...}`: the error shape of trigger routes (API Gateway's) and of the admin API.
    static func message(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        .json(["message": message], status: status, headers: headers)
    }
}
