public import Foundation

extension LambdaAPI {
    /// The body of a failed invocation, sent with `X-Amz-Function-Error: Unhandled` and status 200.
    ///
    /// If the handler's output is already an error document — a JSON object with a string
    /// `errorMessage` or `errorType`, as awslambdaric posts to `/error` — it is returned as it is.
    /// Otherwise `{"errorMessage","errorType","stackTrace":[]}` is built from the arguments.
    ///
    /// - Parameter errorType: Lambda's names for platform failures are `Runtime.ExitError` (the
    ///   process exited), `Sandbox.Timedout` and `Runtime.OutOfMemory`.
    public static func unhandledErrorBody(
        output: Data, errorMessage: String, errorType: String = "Runtime.ExitError"
    ) -> Data {
        if let shape = try? JSONDecoder().decode(ErrorDocument.self, from: output),
            shape.errorMessage != nil || shape.errorType != nil
        {
            return output
        }
        return FlintJSON.encode(
            UnhandledError(errorMessage: errorMessage, errorType: errorType, stackTrace: [])
        )
    }

    /// Lambda's `errorType` for a platform failure that ended an invocation with `outcome`.
    public static func unhandledErrorType(for outcome: InvocationOutcome) -> String {
        switch outcome {
        case .timeout: "Sandbox.Timedout"
        case .oom: "Runtime.OutOfMemory"
        case .outputTooLarge: "Function.ResponseSizeTooLarge"
        case .ok, .error, .killed, .loopStopped: "Runtime.ExitError"
        }
    }

    /// Decodes only from a JSON object; other values fail, as does an `errorMessage` that is not a string.
    private struct ErrorDocument: Decodable {
        var errorMessage: String?
        var errorType: String?
    }

    private struct UnhandledError: Encodable {
        var errorMessage: String
        var errorType: String
        var stackTrace: [String]
    }
}
