import Foundation
import Testing

@testable import FlintCore

@Suite struct LambdaAPIListFunctionsTests {
    static let functions = [
        FunctionManifest(
            name: "echo", directory: "/srv/functions/echo", runtime: .exec, command: ["./echo.sh", "--json"],
            timeout: .milliseconds(2500), memoryBytes: 128 * 1024 * 1024),
        FunctionManifest(
            name: "thumbs", directory: "/srv/functions/thumbs", runtime: .lambda,
            command: ["python3", "-m", "awslambdaric", "app.handler"]),
    ]

    static func decode(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func listFunctionsBody_hasLambdaFieldsForEachFunction() throws {
        let body = try Self.decode(
            LambdaAPI.listFunctionsBody(
                Self.functions, region: "us-east-1", account: "123456789012",
                lastModified: { _ in Date(timeIntervalSince1970: 1_714_566_896.789) }))
        let entries = try #require(body["Functions"] as? [[String: Any]])
        #expect(entries.count == 2)

        let echo = entries[0]
        #expect(echo["FunctionName"] as? String == "echo")
        #expect(echo["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:echo")
        #expect(echo["Runtime"] as? String == "provided")
        #expect(echo["Handler"] as? String == "./echo.sh --json")
        #expect(echo["Timeout"] as? Int == 3)
        #expect(echo["MemorySize"] as? Int == 128)
        #expect(echo["LastModified"] as? String == "2024-05-01T12:34:56.789+0000")
        #expect(echo["Version"] as? String == "$LATEST")
        #expect(echo["State"] as? String == "Active")
        #expect(echo["LastUpdateStatus"] as? String == "Successful", "what boto3's function_updated waiter waits for")
        #expect(echo["PackageType"] as? String == "Zip")
        #expect(echo["Description"] as? String == "")
        #expect(echo["CodeSize"] as? Int == 0)
        #expect(echo["Role"] as? String == "arn:aws:iam::123456789012:role/flint")
        #expect(echo["Architectures"] as? [String] == [LambdaAPI.hostArchitecture])

        let thumbs = entries[1]
        #expect(thumbs["FunctionName"] as? String == "thumbs")
        #expect(thumbs["Runtime"] as? String == "provided")
        #expect(thumbs["Handler"] as? String == "python3 -m awslambdaric app.handler")
        #expect(thumbs["Timeout"] as? Int == 30)
        #expect(thumbs["MemorySize"] as? Int == 256)
    }

    @Test func listFunctionsBody_nextMarkerIsPresentAndNull() throws {
        let data = LambdaAPI.listFunctionsBody([], region: "us-east-1", account: "1", lastModified: { _ in nil })
        let body = try Self.decode(data)
        #expect((body["Functions"] as? [Any])?.isEmpty == true)
        #expect(body.keys.contains("NextMarker"))
        #expect(body["NextMarker"] is NSNull)
        #expect(String(data: data, encoding: .utf8) == #"{"Functions":[],"NextMarker":null}"#)
    }

    @Test func listPage_pagesByName_withNextMarkerUntilTheLastPage() throws {
        let functions = ["delta", "alpha", "echo", "charlie", "bravo"].map {
            FunctionManifest(name: $0, directory: "/srv/\($0)", runtime: .exec, command: ["./run"])
        }
        let first = LambdaAPI.listPage(of: functions, marker: nil, maxItems: 2)
        #expect(first.functions.map(\.name) == ["alpha", "bravo"])
        #expect(first.nextMarker == "bravo")
        let second = LambdaAPI.listPage(of: functions, marker: first.nextMarker, maxItems: 2)
        #expect(second.functions.map(\.name) == ["charlie", "delta"])
        let last = LambdaAPI.listPage(of: functions, marker: second.nextMarker, maxItems: 2)
        #expect(last.functions.map(\.name) == ["echo"])
        #expect(last.nextMarker == nil)
        #expect(LambdaAPI.listPage(of: functions, marker: nil).nextMarker == nil)
        let body = try Self.decode(LambdaAPI.listFunctionsBody(
            first.functions, region: "r", account: "1", lastModified: { _ in nil }, nextMarker: first.nextMarker))
        #expect(body["NextMarker"] as? String == "bravo")
    }

    @Test func listFunctionsBody_withoutLastModified_omitsIt() throws {
        let body = try Self.decode(
            LambdaAPI.listFunctionsBody(Self.functions, region: "r", account: "1", lastModified: { _ in nil }))
        let entries = try #require(body["Functions"] as? [[String: Any]])
        #expect(entries.allSatisfy { $0["LastModified"] == nil })
    }

    @Test(arguments: [
        (Duration.milliseconds(1), 1),
        (.seconds(1), 1),
        (.milliseconds(1001), 2),
        (.seconds(900), 900),
    ])
    func timeoutSeconds_roundsUpToWholeSeconds(timeout: Duration, seconds: Int) {
        #expect(LambdaAPI.timeoutSeconds(timeout) == seconds)
    }

    @Test func getFunctionBody_isTheConfigurationAndTheReservedConcurrency() throws {
        var function = Self.functions[0]
        function.concurrency = 3
        let body = try Self.decode(LambdaAPI.getFunctionBody(function, region: "us-east-1", account: "123456789012", lastModified: nil))
        #expect(Set(body.keys) == ["Configuration", "Concurrency"])
        let configuration = try #require(body["Configuration"] as? [String: Any])
        #expect(configuration["FunctionName"] as? String == "echo")
        #expect(configuration["LastModified"] == nil)
        #expect((body["Concurrency"] as? [String: Any])?["ReservedConcurrentExecutions"] as? Int == 3)

        let alone = try Self.decode(LambdaAPI.functionConfigurationBody(function, region: "us-east-1", account: "123456789012", lastModified: nil))
        #expect(alone["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:echo")
        #expect(alone["Timeout"] as? Int == 3)
    }
}
