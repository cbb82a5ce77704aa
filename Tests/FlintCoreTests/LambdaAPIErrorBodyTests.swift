import Foundation
import Testing

@testable import FlintCore

@Suite struct LambdaAPIErrorBodyTests {
    @Test(arguments: [
        (LambdaAPI.ErrorKind.resourceNotFound, "ResourceNotFoundException", 404),
        (.invalidRequestContent, "InvalidRequestContentException", 400),
        (.invalidParameterValue, "InvalidParameterValueException", 400),
        (.validation, "ValidationException", 400),
        (.unknownOperation, "UnknownOperationException", 404),
        (.requestTooLarge, "RequestTooLargeException", 413),
        (.tooManyRequests, "TooManyRequestsException", 429),
        (.service, "ServiceException", 500),
    ])
    func errorKind_hasLambdaNameAndStatus(kind: LambdaAPI.ErrorKind, name: String, status: Int) {
        #expect(kind.rawValue == name)
        #expect(kind.errorType == name)
        #expect(kind.status == status)
    }

    @Test func errorBody_isTypeUserAndMessage() throws {
        let message = #"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope "quoted""#
        let data = LambdaAPI.errorBody(.resourceNotFound, message: message)
        let body = try JSONSerialization.jsonObject(with: data) as? [String: String]
        #expect(body == ["Type": "User", "Message": message])
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("arn:aws:lambda:us-east-1:123456789012:function:nope"))
        #expect(!text.contains(#"\/"#))
    }

    @Test func errorBody_everyKind_isValidJSON() throws {
        for kind in LambdaAPI.ErrorKind.allCases {
            let body = try JSONSerialization.jsonObject(with: LambdaAPI.errorBody(kind, message: "m"))
            #expect((body as? [String: String])?["Message"] == "m")
        }
    }
}
