import Foundation
import Testing

@testable import FlintCore

@Suite struct APIGatewayV2ResponseTests {
    static func map(_ json: String) -> HTTPResponseParts {
        APIGatewayV2Response.map(output: Data(json.utf8))
    }

    static let jsonContentType = HTTPResponseParts.Header(name: "content-type", value: "application/json")

    @Test func map_statusCodeObject_usesStatusHeadersAndBody() {
        let response = Self.map(#"""
            {"statusCode":201,"headers":{"Content-Type":"text/plain","X-Id":"7"},"body":"created /items/7"}
            """#)
        #expect(response.status == 201)
        #expect(response.headers == [
            .init(name: "Content-Type", value: "text/plain"),
            .init(name: "X-Id", value: "7"),
        ])
        #expect(response.body == Data("created /items/7".utf8))
    }

    @Test func map_statusCodeObjectWithoutContentType_defaultsToJSON() {
        let response = Self.map(#"{"statusCode":404}"#)
        #expect(response.status == 404)
        #expect(response.headers == [Self.jsonContentType])
        #expect(response.body.isEmpty)
    }

    @Test func map_headerNumbersAndBooleans_areWrittenOut() {
        let response = Self.map(#"{"statusCode":200,"headers":{"x-count":3,"x-ratio":1.5,"x-ok":true},"body":""}"#)
        #expect(response.values(of: "x-count") == ["3"])
        #expect(response.values(of: "x-ratio") == ["1.5"])
        #expect(response.values(of: "x-ok") == ["true"])
    }

    @Test func map_cookies_becomeOneSetCookieEach() {
        let response = Self.map(#"""
            {"statusCode":200,"cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"ok"}
            """#)
        #expect(response.values(of: "Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"])
    }

    @Test func map_multiValueHeaders_eachValueItsOwnLine_withoutRepeatingHeaders() {
        let response = Self.map(#"""
            {"statusCode":200,"headers":{"x-v":"1"},"multiValueHeaders":{"X-V":["1","2"],"vary":["a","b"]}}
            """#)
        #expect(response.values(of: "x-v") == ["1", "2"])
        #expect(response.values(of: "vary") == ["a", "b"])
    }

    @Test func map_base64Body_isDecoded() {
        let bytes = Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF])
        let response = Self.map(#"""
            {"statusCode":200,"headers":{"content-type":"image/png"},"isBase64Encoded":true,"body":"\#(bytes.base64EncodedString())"}
            """#)
        #expect(response.status == 200)
        #expect(response.body == bytes)
        #expect(response.values(of: "content-type") == ["image/png"])
    }

    /// API Gateway takes a string of digits, which Lambda's Node.js blueprints return.
    @Test func map_statusCodeAsAStringOfDigits_isThatStatus() {
        let response = Self.map(#"{"statusCode":"404","body":"gone"}"#)
        #expect(response.status == 404)
        #expect(response.body == Data("gone".utf8))
    }

    /// MIME base64, as Python's `base64.encodebytes` writes it (a line feed every 76 characters
    /// and at the end), or with CR LF.
    @Test(arguments: ["\n", "\r\n"])
    func map_base64BodyWithLineBreaks_isDecoded(lineEnd: String) {
        let bytes = Data((0 ..< 100).map { UInt8($0) })
        let mime = bytes.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]) + "\n"
        let escaped = mime.replacingOccurrences(of: "\n", with: lineEnd == "\n" ? "\\n" : "\\r\\n")
        #expect(escaped.components(separatedBy: "\\n").count == 3, "\(escaped)")
        let response = Self.map(#"{"statusCode":200,"isBase64Encoded":true,"body":"\#(escaped)"}"#)
        #expect(response.status == 200)
        #expect(response.body == bytes)
    }

    @Test func map_framingHeadersFromHandler_areDropped() {
        let response = Self.map(#"""
            {"statusCode":200,"headers":{"Content-Length":"999","Transfer-Encoding":"chunked","Connection":"close","x-a":"b"},"body":"hi"}
            """#)
        #expect(response.headers == [.init(name: "x-a", value: "b"), Self.jsonContentType])
    }

    @Test(arguments: [204, 304])
    func map_statusWithoutABody_dropsTheBody_soItCannotBeReadAsTheNextResponse(status: Int) {
        let response = Self.map(#"{"statusCode":\#(status),"headers":{"x-a":"b"},"body":"HTTP/1.1 200 OK\r\nSet-Cookie: x=1\r\n\r\n"}"#)
        #expect(response.status == status)
        #expect(response.body.isEmpty)
        #expect(response.values(of: "x-a") == ["b"])
    }

    @Test(arguments: [
        #"{"statusCode":99}"#,
        #"{"statusCode":100,"body":"HTTP/1.1 200 OK\r\n\r\n"}"#,
        #"{"statusCode":101}"#,
        #"{"statusCode":199}"#,
        #"{"statusCode":600}"#,
        #"{"statusCode":""}"#,
        #"{"statusCode":" 200"}"#,
        #"{"statusCode":200.5}"#,
        #"{"statusCode":true}"#,
        #"{"statusCode":null}"#,
        #"{"statusCode":200,"isBase64Encoded":true,"body":"not base64!"}"#,
        #"{"statusCode":200,"isBase64Encoded":"yes","body":""}"#,
        #"{"statusCode":200,"body":{"nested":true}}"#,
        #"{"statusCode":200,"headers":{"x":{"a":1}}}"#,
        #"{"statusCode":200,"headers":["x"]}"#,
        #"{"statusCode":200,"cookies":"a=1"}"#,
        #"{"statusCode":200,"multiValueHeaders":{"x":"1"}}"#,
        #"{"statusCode":200,"headers":{"x-evil":"a\r\nSet-Cookie: b=2"}}"#,
        #"{"statusCode":200,"headers":{"bad name":"a"}}"#,
    ])
    func map_malformedResponseDescription_isFailure(output: String) {
        #expect(Self.map(output) == APIGatewayV2Response.failure)
    }

    /// Each refusal says what was wrong, for the daemon's log (the client only gets a 500).
    @Test(arguments: [
        (#"{"statusCode":"2x0"}"#, "statusCode is not a whole number"),
        (#"{"statusCode":"+200"}"#, "statusCode is not a whole number"),
        (#"{"statusCode":"150"}"#, "statusCode 150 is not a final HTTP status (200 to 599)"),
        (#"{"statusCode":150}"#, "statusCode 150 is not a final HTTP status (200 to 599)"),
        (#"{"statusCode":200,"body":{"a":1}}"#, "body is not a string (serialize it, e.g. json.dumps)"),
        (#"{"statusCode":200,"body":"x","isBase64Encoded":true}"#, "body is not base64, though isBase64Encoded is true"),
        (#"{"statusCode":200,"isBase64Encoded":"yes"}"#, "isBase64Encoded is not true or false"),
        (#"{"statusCode":200,"headers":["x"]}"#, "headers is not an object of strings, numbers or booleans"),
        (#"{"statusCode":200,"multiValueHeaders":{"x":"1"}}"#, "multiValueHeaders is not an object of lists of strings, numbers or booleans"),
        (#"{"statusCode":200,"cookies":"a=1"}"#, "cookies is not a list of strings"),
        (#"{"statusCode":200,"headers":{"X-A":"a\r\nX-Injected: 1"}}"#, #"header "X-A" cannot be sent: a name is a token (letters, digits, !#$%&'*+-.^_`|~) and a value holds no CR, LF or NUL"#),
        // Cut short, or nested past what the reader takes: never sent to the client as text.
        (#"{"statusCode":201,"body":"x""#, "the output names a statusCode but is not valid JSON (or nests deeper than 512 levels)"),
        (#"{"statusCode":201,"body":"x","extra":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
         "the output names a statusCode but is not valid JSON (or nests deeper than 512 levels)"),
    ])
    func mapping_malformedResponseDescription_saysWhy(output: String, reason: String) {
        let mapped = APIGatewayV2Response.mapping(output: Data(output.utf8))
        #expect(mapped.parts == APIGatewayV2Response.failure)
        #expect(mapped.malformation?.description == reason)
        #expect(APIGatewayV2Response.mapping(output: Data(#"{"statusCode":201}"#.utf8)).malformation == nil)
    }

    @Test(arguments: [
        #"{"message":"hello"}"#,
        #"[1,2,3]"#,
        #"42"#,
        #"null"#,
        "{\"status\" : 200",  // not JSON: a truncated object that names no statusCode
        "plain text from an exec handler\n",
    ])
    func map_outputThatIsNotAResponseDescription_isA200BodyAsItIs(output: String) {
        let response = Self.map(output)
        #expect(response.status == 200)
        #expect(response.headers == [Self.jsonContentType])
        #expect(response.body == Data(output.utf8))
    }

    @Test func map_nonUTF8Bytes_areA200BodyAsTheyAre() {
        let bytes = Data([0xFF, 0x00, 0xC3])
        let response = APIGatewayV2Response.map(output: bytes)
        #expect(response.status == 200)
        #expect(response.body == bytes)
    }

    @Test func map_jsonString_isTheBodyWithoutQuotes() {
        let response = Self.map(#""Hello from Lambda!""#)
        #expect(response.status == 200)
        #expect(response.headers == [Self.jsonContentType])
        #expect(response.body == Data("Hello from Lambda!".utf8))
    }

    @Test func map_emptyOutput_isAnEmpty200() {
        let response = APIGatewayV2Response.map(output: Data())
        #expect(response.status == 200)
        #expect(response.headers == [Self.jsonContentType])
        #expect(response.body.isEmpty)
    }

    @Test func failure_is500InternalServerError() throws {
        let failure = APIGatewayV2Response.failure
        #expect(failure.status == 500)
        #expect(failure.values(of: "Content-Type") == ["application/json"])
        let body = try JSONSerialization.jsonObject(with: failure.body) as? [String: String]
        #expect(body == ["message": "Internal Server Error"])
    }
}

@Suite struct APIGatewayV2ResponseFastPathTests {
    @Test func outputsThatNeedNoParsing_areRecognisedWithoutIt() {
        #expect(!APIGatewayV2Response.mayNeedDecoding(Data(#"{"a":1,"body":"x"}"#.utf8)))
        #expect(!APIGatewayV2Response.mayNeedDecoding(Data("[1,2]".utf8)))
        #expect(!APIGatewayV2Response.mayNeedDecoding(Data("plain text".utf8)))
        #expect(!APIGatewayV2Response.mayNeedDecoding(Data()))
        #expect(APIGatewayV2Response.mayNeedDecoding(Data(#"  {"statusCode":200}"#.utf8)))
        #expect(APIGatewayV2Response.mayNeedDecoding(Data(#"{"status\u0043ode":200}"#.utf8)))
        #expect(APIGatewayV2Response.mayNeedDecoding(Data(#" "text""#.utf8)))
    }

    /// Objects built from pieces that put the keys at the very start, the very end, split
    /// across near-misses and repeated first bytes, against a plain search.
    @Test func objectScan_findsTheKeysWhereverTheyAre() {
        var random = SplitMix(seed: 0x57A7)
        let pieces = [#""statusCode""#, #""statusCod""#, #"""#, "s", #"\u"#, #"\"#, "u", ":1,", "x", #""status"#, "Code\""]
        for _ in 0 ..< 5_000 {
            let inner = (0 ..< random.next(below: 7)).map { _ in pieces[random.next(below: pieces.count)] }.joined()
            let text = "{" + inner
            let expected = text.contains(#""statusCode""#) || text.contains(#"\u"#)
            #expect(APIGatewayV2Response.mayNeedDecoding(Data(text.utf8)) == expected, "\(text)")
        }
    }

    @Test func escapedStatusCodeKey_isStillAResponseDescription() {
        let parts = APIGatewayV2Response.map(output: Data(#"{"status\u0043ode":201,"body":"made"}"#.utf8))
        #expect(parts.status == 201)
        #expect(parts.body == Data("made".utf8))
    }
}
