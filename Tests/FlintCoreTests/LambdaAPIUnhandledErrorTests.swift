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

@Suite struct LambdaAPIRuntimeErrorReportTests {
    @Test func errorDocument_ofADocument_isTheReportItself() {
        let report = Data(#"{"errorMessage":"No module named 'app'","errorType":"Runtime.ImportModuleError"}"#.utf8)
        #expect(LambdaAPI.errorDocument(report: report, errorType: "Ignored") == report)
        #expect(LambdaAPI.errorDescription(report: report, errorType: nil) == "Runtime.ImportModuleError: No module named 'app'")
    }

    @Test(arguments: [
        ("plain text failure\n", "Custom.Thing", "plain text failure", "Custom.Thing", "Custom.Thing: plain text failure"),
        ("", "Custom.Thing", "Custom.Thing", "Custom.Thing", "Custom.Thing"),
        ("plain text failure", nil, "plain text failure", "Runtime.Unknown", "plain text failure"),
        ("", nil, "the runtime reported an error without a description", "Runtime.Unknown",
         "the runtime reported an error without a description"),
    ] as [(String, String?, String, String, String)])
    func errorDocument_ofOtherReports_keepsTheTextAndTheType(
        report: String, header: String?, message: String, type: String, description: String
    ) throws {
        let data = LambdaAPI.errorDocument(report: Data(report.utf8), errorType: header)
        let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(body["errorMessage"] as? String == message)
        #expect(body["errorType"] as? String == type)
        #expect(LambdaAPI.errorDescription(report: Data(report.utf8), errorType: header) == description)
    }
}

@Suite struct LambdaAPIClientContextTests {
    @Test func base64OfAnObject_isItsText_withLineBreaksAsSpaces() {
        let header = Data("{\"custom\":\n{\"k\":\"v\"}}".utf8).base64EncodedString()
        #expect(LambdaAPI.clientContext(fromHeader: header) == #"{"custom": {"k":"v"}}"#)
    }

    @Test(arguments: ["!!!notb64", Data("[1]".utf8).base64EncodedString(), Data("{\"a\":1,}".utf8).base64EncodedString(),
                      Data("not json".utf8).base64EncodedString(), Data("{\"a\":\"x\u{7F}y\"}".utf8).base64EncodedString(),
                      Data(("{\"a\":\"" + String(repeating: "x", count: 3000) + "\"}").utf8).base64EncodedString()])
    func anythingElse_isRefused(header: String) {
        #expect(LambdaAPI.clientContext(fromHeader: header) == nil)
    }
}
