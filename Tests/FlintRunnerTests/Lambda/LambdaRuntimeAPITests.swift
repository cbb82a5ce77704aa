import FlintCore
import FlintRunner
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The Runtime API each instance serves (LAMBDA.md section 1), over real HTTP on loopback: by the
/// test itself, speaking for a runtime that only waits, and by `runtime.py`.
@Suite struct LambdaRuntimeAPITests {
    @Test func next_carriesTheEventAndLambdaHeaders_responseIsAccepted() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(start: "park", timeout: .seconds(20))
            let id = InvocationRequest.newID()
            async let invoked = fixture.invoke(function, ["hello": "world"], id: id)
            let api = try await runtimeAPI(of: fixture)
            let before = Date().timeIntervalSince1970 * 1000

            let next = try await call(api, "GET", "/2018-06-01/runtime/invocation/next")
            #expect(next.status == 200)
            #expect(next.headers["content-type"] == "application/json")
            #expect(next.headers["lambda-runtime-aws-request-id"] == id)
            #expect(next.headers["lambda-runtime-invoked-function-arn"] == "arn:aws:lambda:local:000000000000:function:warm")
            let deadline = Double(next.headers["lambda-runtime-deadline-ms"] ?? "") ?? 0
            #expect(deadline >= before + 19_000 && deadline <= Date().timeIntervalSince1970 * 1000 + 20_000)
            #expect(try JSONSerialization.jsonObject(with: next.body) as? [String: String] == ["hello": "world"])

            let stale = try await call(api, "POST", "/2018-06-01/runtime/invocation/\(InvocationRequest.newID())/response", body: Data("{}".utf8))
            #expect(stale.status == 400)
            #expect(stale.text == #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)

            let response = try await call(api, "POST", "/2018-06-01/runtime/invocation/\(id)/response", body: Data(#"{"answer":42}"#.utf8))
            #expect(response.status == 202)
            #expect(response.text == #"{"status":"OK"}"#)

            let result = try await invoked
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == #"{"answer":42}"#)

            let again = try await call(api, "POST", "/2018-06-01/runtime/invocation/\(id)/response", body: Data("{}".utf8))
            #expect(again.status == 400, "an answered invocation's id is stale")
            #expect(try await call(api, "GET", "/2018-06-01/runtime/nothing").status == 404)
            #expect(try await call(api, "POST", "/2018-06-01/runtime/invocation/next").status == 405)
        }
    }

    @Test func connectionFromOutsideTheInstance_isClosedUnread() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(start: "park", timeout: .seconds(20))
            let id = InvocationRequest.newID()
            async let invoked = fixture.invoke(function, ["secret": "for warm only"], id: id)
            let relayed = try await runtimeAPI(of: fixture)
            let direct = try String(contentsOfFile: fixture.root + "/api-direct", encoding: .utf8)

            // This test process is not one of the instance's: another function's handler could
            // be it. Its request is never answered, and the event stays for the instance.
            #expect(try await Self.rawRequest(to: direct, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n") == "")
            let next = try await call(relayed, "GET", "/2018-06-01/runtime/invocation/next")
            #expect(next.headers["lambda-runtime-aws-request-id"] == id)
            #expect(try await call(relayed, "POST", "/2018-06-01/runtime/invocation/\(id)/response", body: Data("{}".utf8)).status == 202)
            #expect(try await invoked.record.outcome == .ok)
        }
    }

    @Test func error_failsTheInvocation_withTheRuntimesErrorDocument() async throws {
        try await withLambdaFixture { fixture in
            let result = try await fixture.invoke(fixture.function(), ["action": "fail"])
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "ZeroDivisionError: division by zero")
            let document = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
            #expect(document?["errorType"] as? String == "ZeroDivisionError")
            // The instance survives a handler's error.
            let next = try await fixture.invoke(fixture.function())
            #expect(next.record.outcome == .ok && !next.record.coldStart)
        }
    }

    @Test func errorReportThatIsNoDocument_keepsItsTextAndType() async throws {
        try await withLambdaFixture { fixture in
            let result = try await fixture.invoke(fixture.function(), ["action": "fail-text"])
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "Custom.Thing: plain text failure")
            let document = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
            #expect(document?["errorType"] as? String == "Custom.Thing")
            #expect(document?["errorMessage"] as? String == "plain text failure")
        }
    }

    @Test func callersClientContextAndQualifier_reachTheRuntime() async throws {
        try await withLambdaFixture { fixture in
            let caller = LambdaCallerContext(clientContext: #"{"custom":{"k":"v"}}"#, qualifier: "$LATEST")
            let result = try await fixture.invoke(fixture.function(), caller: caller)
            let headers = try result.report()["headers"] as? [String: String]
            #expect(headers?["lambda-runtime-client-context"] == #"{"custom":{"k":"v"}}"#)
            #expect(headers?["lambda-runtime-invoked-function-arn"] == "arn:aws:lambda:local:000000000000:function:warm:$LATEST")
            // Without them, neither header names anything.
            let plain = try await fixture.invoke(fixture.function())
            let plainHeaders = try plain.report()["headers"] as? [String: String]
            #expect(plainHeaders?["lambda-runtime-client-context"] == nil)
            #expect(plainHeaders?["lambda-runtime-invoked-function-arn"] == "arn:aws:lambda:local:000000000000:function:warm")
        }
    }

    @Test func staleAndUnknownIDs_get400() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let first = try await fixture.invoke(function, ["action": "stale"])
            #expect(first.record.outcome == .ok)
            // What the runtime printed after its answer belongs to the next invocation's log.
            let second = try await fixture.invoke(function)
            #expect(second.logText.contains(#"stale answered 400 / 400 {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#), "\(second.logText)")
        }
    }

    @Test func responseOverSixMiB_gets413_andTheInvocationIsOutputTooLarge() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let big = try await fixture.invoke(function, ["action": "big"])
            #expect(big.record.outcome == .outputTooLarge)
            #expect(big.output.isEmpty)
            let next = try await fixture.invoke(function)
            #expect(next.logText.contains("big answered 413"), "\(next.logText)")
            #expect(next.record.outcome == .ok && !next.record.coldStart, "the connection stays usable")
        }
    }

    @Test func errorReportOverSixMiB_gets413_andTheInvocationIsStillAnError() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(start: "park", timeout: .seconds(20))
            let id = InvocationRequest.newID()
            async let invoked = fixture.invoke(function, id: id)
            let api = try await runtimeAPI(of: fixture)
            #expect(try await call(api, "GET", "/2018-06-01/runtime/invocation/next").status == 200)

            let report = try await call(
                api, "POST", "/2018-06-01/runtime/invocation/\(id)/error", body: Data(count: 6 * 1024 * 1024 + 1),
                headers: ["Lambda-Runtime-Function-Error-Type": "Runtime.Huge"])
            #expect(report.status == 413)
            let result = try await invoked
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "Runtime.Huge: the runtime's error report exceeded the 6291456-byte limit and was dropped")
            #expect(result.output.isEmpty)
        }
    }

    @Test func chunkedResponseBody_isAccepted() async throws {
        try await withLambdaFixture { fixture in
            let result = try await fixture.invoke(fixture.function(), ["action": "chunked", "tag": "chunks"])
            #expect(result.record.outcome == .ok)
            #expect((try result.report()["event"] as? [String: String])?["tag"] == "chunks")
        }
    }

    @Test func environment_isLambdasAndTheManifests_neverTheDaemons() async throws {
        try await withLambdaFixture { fixture in
            setenv("FLINT_TEST_DAEMON_SECRET", "leaked", 1)
            defer { unsetenv("FLINT_TEST_DAEMON_SECRET") }
            let result = try await fixture.invoke(fixture.function(environment: ["GREETING": "hi", "AWS_DEFAULT_REGION": "eu-west-1"]))
            let report = try result.report()
            let environment = report["env"] as? [String: String] ?? [:]
            #expect(environment["FLINT_TEST_DAEMON_SECRET"] == nil)
            #expect(environment["GREETING"] == "hi")
            #expect(environment["AWS_LAMBDA_RUNTIME_API"]?.hasPrefix("127.0.0.1:") == true)
            #expect(environment["_HANDLER"] == "app.handler")
            #expect(environment["LAMBDA_TASK_ROOT"] == fixture.functionDirectory)
            #expect(report["cwd"] as? String == fixture.functionDirectory)
            #expect(environment["AWS_LAMBDA_FUNCTION_NAME"] == "warm")
            #expect(environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST")
            #expect(environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256")
            #expect(environment["AWS_REGION"] == "local")
            #expect(environment["AWS_DEFAULT_REGION"] == "eu-west-1")
            #expect(environment["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/warm")
            #expect(environment["AWS_LAMBDA_LOG_STREAM_NAME"]?.contains("/[$LATEST]") == true)
            #expect(environment["FLINT_FUNCTION"] == "warm")
            for never in ["_LAMBDA_TELEMETRY_LOG_FD", "AWS_LAMBDA_MAX_CONCURRENCY", "AWS_LAMBDA_INITIALIZATION_TYPE"] {
                #expect(environment[never] == nil)
            }
            #expect(environment["HOME"]?.hasPrefix(fixture.workRoot) == true)
        }
    }

    @Test func stdoutAndStderr_areTheLogOfTheInvocationRunning() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let first = try await fixture.invoke(function)
            let second = try await fixture.invoke(function)
            #expect(first.logText.contains("handling \(first.record.id)"))
            #expect(first.logText.contains("stderr line for \(first.record.id)"))
            #expect(second.logText.contains("stderr line for \(second.record.id)"))
            #expect(!second.logText.contains("stderr line for \(first.record.id)"))
        }
    }

    @Test func logLines_reachLiveFollowers_asTheInvocationsLines() async throws {
        let hub = LogHub()
        try await withLambdaFixture(logHub: hub) { fixture in
            let subscription = hub.subscribe(function: "warm")
            let id = InvocationRequest.newID()
            let result = try await fixture.invoke(fixture.function(), id: id)
            #expect(result.record.outcome == .ok)
            let line = await withTaskGroup(of: HandlerLogLine?.self) { group in
                group.addTask {
                    while let event = await subscription.next() {
                        if case .line(let line) = event, line.text.contains("stderr line for") { return line }
                    }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    subscription.cancel()
                    return nil
                }
                let first = await group.next() ?? nil
                subscription.cancel()
                group.cancelAll()
                return first
            }
            #expect(line?.invocation == id)
            #expect(line?.text == "stderr line for \(id)")
            #expect(line?.function == "warm")
        }
    }

    // MARK: Helpers

    /// The address the parked runtime was given, once it has written it.
    private func runtimeAPI(of fixture: LambdaFixture) async throws -> String {
        let path = fixture.root + "/api"
        guard await eventually(within: .seconds(10), { FileManager.default.fileExists(atPath: path) }) else {
            throw LambdaTestFailure("the runtime never wrote its AWS_LAMBDA_RUNTIME_API")
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Sends `request` on a new connection to `address` and returns what comes back before the
    /// server closes the connection (within 10 s).
    private static func rawRequest(to address: String, _ request: String) async throws -> String {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw LambdaTestFailure("bad address \(address)") }
        return try await Task.detached {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw LambdaTestFailure("socket: \(errno)") }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = port.bigEndian
            target.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw LambdaTestFailure("connect: \(errno)") }
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { received += buffer[..<count]; continue }
                // Closed: in order, or reset (the request was never read).
                if count == 0 || errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
                throw LambdaTestFailure("no answer and no close within 10 s (errno \(errno))")
            }
        }.value
    }

    private struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private func call(_ api: String, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        guard let url = URL(string: "http://\(api)\(path)") else { throw LambdaTestFailure("bad URL for \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        request.timeoutInterval = 20
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw LambdaTestFailure("no HTTP response") }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: headers, body: data)
    }
}
