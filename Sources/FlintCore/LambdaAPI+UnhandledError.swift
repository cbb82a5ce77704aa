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
        if isErrorDocument(output) { return output }
        return FlintJSON.encode(
            UnhandledError(errorMessage: errorMessage, errorType: errorType, stackTrace: [])
        )
    }

    /// What a runtime's `/error` or `/init/error` report stands for, as the failed invocation's
    /// error document: the report itself when it is one, else one made of the report's text (or
    /// the error type, when there is no text) and the `Lambda-Runtime-Function-Error-Type` header
    /// (`Runtime.Unknown` without one), so that neither is lost.
    public static func errorDocument(report: Data, errorType header: String?) -> Data {
        if isErrorDocument(report) { return report }
        let text = reportText(report)
        return FlintJSON.encode(UnhandledError(
            errorMessage: text ?? header ?? "the runtime reported an error without a description",
            errorType: header ?? "Runtime.Unknown", stackTrace: []
        ))
    }

    /// `ZeroDivisionError: division by zero`: a one-line description of a runtime's error report,
    /// from its `errorType` and `errorMessage` (awslambdaric's `{"errorMessage", "errorType",
    /// "stackTrace"}`), else from the error type header and the report's text.
    public static func errorDescription(report: Data, errorType header: String?) -> String {
        let document = try? JSONDecoder().decode(ErrorDocument.self, from: report)
        let type = document?.errorType ?? header
        let message = document == nil ? reportText(report) : document?.errorMessage
        switch (type, message) {
        case let (type?, message?): return "\(type): \(message)"
        case let (type?, nil): return type
        case let (nil, message?): return message
        case (nil, nil): return "the runtime reported an error without a description"
        }
    }

    /// A JSON object with a string `errorMessage` or `errorType`.
    private static func isErrorDocument(_ data: Data) -> Bool {
        guard let document = try? JSONDecoder().decode(ErrorDocument.self, from: data) else { return false }
        return document.errorMessage != nil || document.errorType != nil
    }

    /// A report that is not an error document, as text: nil when empty or not UTF-8; its first
    /// 1,000 characters otherwise.
    private static func reportText(_ report: Data) -> String? {
        guard let text = String(data: report, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            return nil
        }
        return text.count > 1000 ? String(text.prefix(1000)) + "…" : text
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
