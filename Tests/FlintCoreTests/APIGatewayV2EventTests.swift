import Foundation
import Testing

@testable import FlintCore

@Suite struct APIGatewayV2EventTests {
    /// 2024-05-01T12:34:56.789Z.
    static let fixedTime = Date(timeIntervalSince1970: 1_714_566_896.789)

    static func encode(
        _ request: HTTPRequestSnapshot,
        routeKey: String = "POST /items/{id}",
        pathParameters: [String: String] = ["id": "42"],
        time: Date = fixedTime
    ) throws -> [String: Any] {
        let data = APIGatewayV2Event.encode(
            request, routeKey: routeKey, pathParameters: pathParameters, requestID: "req-1",
            time: time, accountID: "123456789012", apiID: "flint")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func context(_ event: [String: Any]) throws -> [String: Any] {
        try #require(event["requestContext"] as? [String: Any])
    }

    static let post = HTTPRequestSnapshot(
        method: "POST",
        rawPath: "/items/42",
        rawQueryString: "q=1",
        headers: [
            (name: "Host", value: "api.example.com:8080"),
            (name: "User-Agent", value: "curl/8.5"),
            (name: "Content-Type", value: "application/json"),
        ],
        body: Data(#"{"a":"b/c"}"#.utf8),
        sourceIP: "127.0.0.1",
        protocolVersion: "HTTP/1.1",
        host: "api.example.com:8080"
    )

    @Test func encode_fullRequest_hasEveryPayload2Field() throws {
        let event = try Self.encode(Self.post)
        #expect(event["version"] as? String == "2.0")
        #expect(event["routeKey"] as? String == "POST /items/{id}")
        #expect(event["rawPath"] as? String == "/items/42")
        #expect(event["rawQueryString"] as? String == "q=1")
        #expect(event["headers"] as? [String: String] == [
            "host": "api.example.com:8080", "user-agent": "curl/8.5", "content-type": "application/json",
        ])
        #expect(event["queryStringParameters"] as? [String: String] == ["q": "1"])
        #expect(event["pathParameters"] as? [String: String] == ["id": "42"])
        #expect(event["body"] as? String == #"{"a":"b/c"}"#)
        #expect(event["isBase64Encoded"] as? Bool == false)
        #expect(event["cookies"] == nil)
        #expect(event["stageVariables"] == nil)

        let context = try Self.context(event)
        #expect(context["accountId"] as? String == "123456789012")
        #expect(context["apiId"] as? String == "flint")
        #expect(context["domainName"] as? String == "api.example.com:8080")
        #expect(context["domainPrefix"] as? String == "api")
        #expect(context["requestId"] as? String == "req-1")
        #expect(context["routeKey"] as? String == "POST /items/{id}")
        #expect(context["stage"] as? String == "$default")
        #expect(context["time"] as? String == "01/May/2024:12:34:56 +0000")
        #expect((context["timeEpoch"] as? NSNumber)?.int64Value == 1_714_566_896_789)
        let http = try #require(context["http"] as? [String: String])
        #expect(http == [
            "method": "POST", "path": "/items/42", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
            "userAgent": "curl/8.5",
        ])
    }

    @Test func encode_slashesAndNonASCII_areNotEscaped() throws {
        var request = Self.post
        request.body = Data("héllo / wörld".utf8)
        let data = APIGatewayV2Event.encode(
            request, routeKey: "POST /items/{id}", pathParameters: [:], requestID: "r", time: Self.fixedTime,
            accountID: "1", apiID: "a")
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains(#""rawPath":"/items/42""#))
        #expect(text.contains(#""body":"héllo / wörld""#))
        #expect(!text.contains(#"\/"#))
    }

    @Test func encode_cookieHeaders_moveToCookiesAndOutOfHeaders() throws {
        var request = Self.post
        request.headers += [
            (name: "Cookie", value: "session=abc; theme=dark"),
            (name: "cookie", value: "lang=en"),
        ]
        let event = try Self.encode(request)
        #expect(event["cookies"] as? [String] == ["session=abc", "theme=dark", "lang=en"])
        let headers = try #require(event["headers"] as? [String: String])
        #expect(headers["cookie"] == nil)
        #expect(headers.keys.allSatisfy { $0.lowercased() != "cookie" })
    }

    @Test func encode_repeatedHeaders_joinedWithCommasUnderLowerCaseName() throws {
        var request = Self.post
        request.headers += [
            (name: "X-Tag", value: "a"),
            (name: "x-tag", value: "b"),
            (name: "X-TAG", value: "c d"),
        ]
        let headers = try #require(try Self.encode(request)["headers"] as? [String: String])
        #expect(headers["x-tag"] == "a,b,c d")
        #expect(headers.keys.allSatisfy { $0 == $0.lowercased() })
    }

    @Test func encode_queryString_decodesPlusAndPercentAndJoinsRepeats() throws {
        var request = Self.post
        request.rawQueryString = "name=J%C3%BCrgen+Smith&tag=a&tag=b%2Cc&flag&empty=&=orphan&&bad=%zz"
        let event = try Self.encode(request)
        #expect(event["rawQueryString"] as? String == request.rawQueryString)
        #expect(event["queryStringParameters"] as? [String: String] == [
            "name": "Jürgen Smith",
            "tag": "a,b,c",
            "flag": "",
            "empty": "",
            "bad": "%zz",
        ])
    }

    @Test func encode_bareGet_omitsCookiesQueryPathParametersAndBody() throws {
        let request = HTTPRequestSnapshot(method: "GET", rawPath: "/", sourceIP: "10.0.0.1")
        let event = try Self.encode(request, routeKey: "$default", pathParameters: [:])
        #expect(event["routeKey"] as? String == "$default")
        #expect(event["rawQueryString"] as? String == "")
        for absent in ["cookies", "queryStringParameters", "pathParameters", "body"] {
            #expect(event[absent] == nil, "\(absent) should be omitted")
        }
        #expect(event["headers"] as? [String: String] == [:])
        #expect(event["isBase64Encoded"] as? Bool == false)
        let context = try Self.context(event)
        #expect(context["routeKey"] as? String == "$default")
        #expect(context["domainName"] as? String == "")
        #expect(context["domainPrefix"] as? String == "")
        let http = try #require(context["http"] as? [String: String])
        #expect(http["userAgent"] == "")
    }

    @Test func encode_binaryBody_isBase64WithFlag() throws {
        var request = Self.post
        let bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x80, 0x41]
        request.body = Data(bytes)
        let event = try Self.encode(request)
        #expect(event["isBase64Encoded"] as? Bool == true)
        let body = try #require(event["body"] as? String)
        #expect(body == "AP/+gEE=")
        #expect(Data(base64Encoded: body) == Data(bytes))
    }

    @Test func encode_pathParameters_andRouteKeyAsGiven() throws {
        let event = try Self.encode(
            Self.post, routeKey: "ANY /files/{path+}", pathParameters: ["path": "a/b.txt"])
        #expect(event["routeKey"] as? String == "ANY /files/{path+}")
        #expect(event["pathParameters"] as? [String: String] == ["path": "a/b.txt"])
        #expect(try Self.context(event)["routeKey"] as? String == "ANY /files/{path+}")
    }

    @Test func encode_percentEncodedPath_isDecodedOnlyInRequestContext() throws {
        var request = Self.post
        request.rawPath = "/items/a%20b%2Fc+d"
        let event = try Self.encode(request)
        #expect(event["rawPath"] as? String == "/items/a%20b%2Fc+d")
        let http = try #require(try Self.context(event)["http"] as? [String: String])
        #expect(http["path"] == "/items/a b/c+d")
    }

    @Test(arguments: [
        ("api.example.com:8080", "api"),
        ("localhost:8080", "localhost"),
        ("id.execute-api.us-east-1.amazonaws.com", "id"),
        ("[::1]:8080", "[::1]"),
    ])
    func encode_domainPrefix_isFirstLabelWithoutPort(host: String, prefix: String) throws {
        var request = Self.post
        request.host = host
        let context = try Self.context(try Self.encode(request))
        #expect(context["domainName"] as? String == host)
        #expect(context["domainPrefix"] as? String == prefix)
    }

    @Test(arguments: [
        (1_672_635_967.0, "02/Jan/2023:05:06:07 +0000", Int64(1_672_635_967_000)),
        (1_703_980_800.999, "31/Dec/2023:00:00:00 +0000", Int64(1_703_980_800_999)),
        (-0.5, "31/Dec/1969:23:59:59 +0000", Int64(-500)),
        (951_782_400.0, "29/Feb/2000:00:00:00 +0000", Int64(951_782_400_000)),
    ])
    func encode_time_isUTCWithEnglishMonthAndEpochMilliseconds(
        seconds: Double, expected: String, epochMilliseconds: Int64
    ) throws {
        let context = try Self.context(try Self.encode(Self.post, time: Date(timeIntervalSince1970: seconds)))
        #expect(context["time"] as? String == expected)
        #expect((context["timeEpoch"] as? NSNumber)?.int64Value == epochMilliseconds)
    }
}
