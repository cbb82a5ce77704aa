import Foundation
import Testing

@testable import FlintCore

@Suite struct LambdaAPIUnhandledErrorTests {
    @Test func unhandledErrorBody_errorDocumentFromHandler_isKeptAsItIs() {
        let output = Data(#"""
            {"errorMessage":"division by zero","errorType":"ZeroDivisionError","requestId":"r","stackTrace":["  File \"app.py\""]}
            """#.utf8)
        #expect(LambdaAPI.unhandledErrorBody(output: output, errorMessage: "ignored") == output)
    }

    @Test func unhandledErrorBody_errorTypeOnly_isKeptAsItIs() {
        let output = Data(#"{"errorType":"Custom"}"#.utf8)
        #expect(LambdaAPI.unhandledErrorBody(output: output, errorMessage: "ignored") == output)
    }

    @Test(arguments: [
        "Traceback (most recent call last): boom\n",
        "",
        #"{"result":"partial"}"#,
        #"{"errorMessage":42}"#,
        #""errorMessage""#,
    ])
    func unhandledErrorBody_otherOutput_isWrapped(output: String) throws {
        let data = LambdaAPI.unhandledErrorBody(
            output: Data(output.utf8), errorMessage: "Runtime exited with error: exit status 1")
        let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(body["errorMessage"] as? String == "Runtime exited with error: exit status 1")
        #expect(body["errorType"] as? String == "Runtime.ExitError")
        #expect((body["stackTrace"] as? [Any])?.isEmpty == true)
        #expect(body.count == 3)
    }

    @Test func unhandledErrorBody_givenErrorType_isUsed() throws {
        let data = LambdaAPI.unhandledErrorBody(
            output: Data(), errorMessage: "Task timed out after 3.00 seconds", errorType: "Sandbox.Timedout")
        let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(body["errorType"] as? String == "Sandbox.Timedout")
    }

    @Test(arguments: [
        (InvocationOutcome.timeout, "Sandbox.Timedout"),
        (.oom, "Runtime.OutOfMemory"),
        (.outputTooLarge, "Function.ResponseSizeTooLarge"),
        (.error, "Runtime.ExitError"),
        (.killed, "Runtime.ExitError"),
    ])
    func unhandledErrorType_namesThePlatformFailure(outcome: InvocationOutcome, type: String) {
        #expect(LambdaAPI.unhandledErrorType(for: outcome) == type)
    }
}
