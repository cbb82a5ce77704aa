public import Foundation

extension LambdaAPI {
    /// An Invoke API error: its name is the `x-amzn-ErrorType` header value, which is what
    /// botocore turns into the exception class (`client.exceptions.ResourceNotFoundException`).
    public enum ErrorKind: String, Sendable, Hashable, CaseIterable {
        case resourceNotFound = "ResourceNotFoundException"
        case invalidRequestContent = "InvalidRequestContentException"
        case invalidParameterValue = "InvalidParameterValueException"
        /// A request parameter (the function name in the path) is malformed.
        case validation = "ValidationException"
        /// A Lambda API path of an operation Flint does not implement.
        case unknownOperation = "UnknownOperationException"
        case requestTooLarge = "RequestTooLargeException"
        case tooManyRequests = "TooManyRequestsException"
        case service = "ServiceException"
        /// No credentials where they are needed (a listener that is not loopback).
        case accessDenied = "AccessDeniedException"
        /// A SigV4 signature that is malformed, out of date, or not made with the secret expected.
        case invalidSignature = "InvalidSignatureException"

        /// The HTTP status Lambda answers with. botocore retries 429 and 5xx.
        public var status: Int {
            switch self {
            case .accessDenied, .invalidSignature: 403
            case .resourceNotFound, .unknownOperation: 404
            case .invalidRequestContent, .invalidParameterValue, .validation: 400
            case .requestTooLarge: 413
            case .tooManyRequests: 429
            case .service: 500
            }
        }

        /// The `x-amzn-ErrorType` header value.
        public var errorType: String { rawValue }
    }

    /// `{"Message":"...","Type":"User"}`, the body of every Invoke API error (LAMBDA.md §2).
    public static func errorBody(_ kind: ErrorKind, message: String) -> Data {
        FlintJSON.encode(ErrorBody(type: "User", message: message))
    }

    private struct ErrorBody: Encodable {
        var type: String
        var message: String

        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case message = "Message"
        }
    }
}
