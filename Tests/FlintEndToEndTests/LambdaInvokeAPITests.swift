import Foundation
import Testing

/// The Lambda Invoke API, driven by boto3 — the client Lambda users already have.
@Suite(.serialized, .enabled(if: Boto3.isAvailable, "boto3 is not importable by python3 (make test installs it with pip)"))
struct LambdaInvokeAPITests {
    static func project() throws -> TestProject {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "echo \"echo ran $FLINT_INVOCATION_ID\" >&2\nexec cat\n", manifest: "memory: 128Mi\ntimeout: 7s\n")
        try project.addScriptFunction("fail", script: "echo 'it broke' >&2\nexit 1\n")
        return project
    }

    @Test func eventInvocation_isAccepted_thenRunsFromTheBus() async throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            r = client.invoke(FunctionName="echo", InvocationType="Event", Payload=json.dumps({"a": 1}).encode())
            print(json.dumps({"status": r["StatusCode"], "payload": r["Payload"].read().decode(),
                              "id": r["ResponseMetadata"]["RequestId"]}))
            """)
        let reply = out
        #expect(reply["status"] as? Int == 202)
        #expect(reply["payload"] as? String == "")
        let id = try #require(reply["id"] as? String)
        let deadline = Date().addingTimeInterval(10)
        var status = ""
        while status != "done" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            let listed = try FlintBinary.run(["invocations", "--json", "--project", daemon.project.root])
            let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
            let rows: [[String: Any]] = (object?["invocations"] as? [[String: Any]]) ?? []
            let mine = rows.first { ($0["id"] as? String) == id }
            if let mine, (mine["outcome"] as? String) == "ok" { status = "done" }
        }
        #expect(status == "done")
    }

    @Test func invoke_returnsTheHandlersOutput() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            r = client.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}).encode())
            print(json.dumps({"status": r["StatusCode"], "payload": r["Payload"].read().decode(),
                              "version": r["ExecutedVersion"], "error": r.get("FunctionError")}))
            """)
        #expect(out["status"] as? Int == 200)
        #expect(out["payload"] as? String == #"{"a": 1}"#)
        #expect(out["version"] as? String == "$LATEST")
        #expect(out["error"] is NSNull)
    }

    @Test func invoke_withoutAPayload_givesTheHandlerAnEmptyObject() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            r = client.invoke(FunctionName="echo")
            print(json.dumps({"status": r["StatusCode"], "payload": r["Payload"].read().decode()}))
            """)
        #expect(out["status"] as? Int == 200)
        #expect(out["payload"] as? String == "{}")
    }

    @Test func invoke_byPercentEncodedARN_andDryRun() async throws {
        let daemon = try RunningDaemon(try Self.project())
        // DryRun checks what RequestResponse would, and runs nothing.
        let path = "/2015-03-31/functions/echo/invocations"
        let notJSON = try await daemon.request("POST", path, body: Data("not json".utf8), headers: ["X-Amz-Invocation-Type": "DryRun"])
        #expect(notJSON.status == 400)
        #expect(notJSON.headers["x-amzn-errortype"] == "InvalidRequestContentException", "\(notJSON.headers)")
        let logType = try await daemon.request("POST", path, body: Data("{}".utf8), headers: ["X-Amz-Invocation-Type": "DryRun", "X-Amz-Log-Type": "Bogus"])
        #expect(logType.status == 400)
        #expect(logType.headers["x-amzn-errortype"] == "InvalidParameterValueException", "\(logType.headers)")
        let tooLarge = try await daemon.request("POST", path, body: Data(count: 6 * 1024 * 1024 + 1), headers: ["X-Amz-Invocation-Type": "DryRun"])
        #expect(tooLarge.status == 413)
        let passes = try await daemon.request("POST", path, body: Data("{}".utf8), headers: ["X-Amz-Invocation-Type": "DryRun"])
        #expect(passes.status == 204)
        #expect(try await daemon.request("GET", "/v1/invocations?function=echo", authorized: true).text.contains("\"invocations\":[]"))
        let out = try Boto3.run(daemon, """
            arn = "arn:aws:lambda:local:000000000000:function:echo"
            r = client.invoke(FunctionName=arn, Payload=b"[1,2]")
            d = client.invoke(FunctionName="echo", InvocationType="DryRun")
            print(json.dumps({"payload": r["Payload"].read().decode(), "dry": d["StatusCode"]}))
            """)
        #expect(out["payload"] as? String == "[1,2]")
        #expect(out["dry"] as? Int == 204)
    }

    @Test func functionError_isUnhandledWithTheLogTail() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            r = client.invoke(FunctionName="fail", LogType="Tail")
            print(json.dumps({"status": r["StatusCode"], "error": r.get("FunctionError"),
                              "body": json.loads(r["Payload"].read()), "log": base64.b64decode(r["LogResult"]).decode()}))
            """)
        #expect(out["status"] as? Int == 200)
        #expect(out["error"] as? String == "Unhandled")
        #expect((out["body"] as? [String: Any])?["errorMessage"] != nil)
        // Lambda's lines around the handler's, as the aws CLI shows them.
        let lines = (out["log"] as? String ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5, "\(lines)")
        #expect(lines.first?.hasPrefix("START RequestId: ") == true && lines.first?.hasSuffix(" Version: $LATEST") == true)
        #expect(lines.dropFirst().first == "it broke")
        #expect(lines.dropFirst(2).first?.hasPrefix("END RequestId: ") == true)
        #expect(lines.dropFirst(3).first?.hasPrefix("REPORT RequestId: ") == true)
        #expect(lines.dropFirst(3).first?.contains("\tBilled Duration: ") == true)
    }

    @Test func unknownFunction_isResourceNotFound() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            try:
                client.invoke(FunctionName="nope")
                print(json.dumps({"raised": None}))
            except client.exceptions.ResourceNotFoundException as e:
                print(json.dumps({"raised": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
            """)
        #expect(out["raised"] as? String == "ResourceNotFoundException")
        #expect(out["status"] as? Int == 404)
    }

    @Test func listFunctions_describesEachFunction() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            fs = {f["FunctionName"]: f for f in client.list_functions()["Functions"]}
            # boto3's paginator, a page of one at a time: it follows NextMarker.
            pages = client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1})
            paged = [[f["FunctionName"] for f in page["Functions"]] for page in pages]
            print(json.dumps({"names": sorted(fs), "memory": fs["echo"]["MemorySize"], "timeout": fs["echo"]["Timeout"],
                              "arn": fs["echo"]["FunctionArn"], "paged": paged}))
            """)
        #expect(out["names"] as? [String] == ["echo", "fail"])
        #expect(out["paged"] as? [[String]] == [["echo"], ["fail"]])
        #expect(out["memory"] as? Int == 128)
        #expect(out["timeout"] as? Int == 7)
        #expect(out["arn"] as? String == "arn:aws:lambda:local:000000000000:function:echo")
    }

    @Test func getFunction_andItsConfiguration_describeOneFunction_satisfyTheSDKsWaiters_andAnUnknownOneIsNotFound() throws {
        let daemon = try RunningDaemon(try Self.project())
        let out = try Boto3.run(daemon, """
            f = client.get_function(FunctionName="echo")
            c = client.get_function_configuration(FunctionName="arn:aws:lambda:local:000000000000:function:echo")
            # What deploy scripts wait on; each waiter raises WaiterError if it gives up.
            for waiter in ("function_exists", "function_active_v2", "function_updated", "function_updated_v2"):
                client.get_waiter(waiter).wait(FunctionName="echo", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
            try:
                client.get_function(FunctionName="nope")
                missing = "found"
            except client.exceptions.ResourceNotFoundException as e:
                missing = e.response["Error"]["Message"]
            print(json.dumps({"name": f["Configuration"]["FunctionName"], "memory": f["Configuration"]["MemorySize"],
                              "reserved": f["Concurrency"]["ReservedConcurrentExecutions"],
                              "timeout": c["Timeout"], "arn": c["FunctionArn"], "missing": missing}))
            """)
        #expect(out["name"] as? String == "echo")
        #expect(out["memory"] as? Int == 128)
        #expect(out["reserved"] as? Int == 8)
        #expect(out["timeout"] as? Int == 7)
        #expect(out["arn"] as? String == "arn:aws:lambda:local:000000000000:function:echo")
        #expect(out["missing"] as? String == "Function not found: arn:aws:lambda:local:000000000000:function:nope")
    }
}

/// Off loopback the Lambda API needs the admin token: boto3 (and the aws CLI, and every SDK)
/// take it as their secret access key and sign each request with it, unchanged.
@Suite(.serialized, .enabled(if: Boto3.isAvailable, "boto3 is not importable by python3 (make test installs it with pip)"))
struct LambdaInvokeAPISignatureTests {
    static let call = """
        try:
            r = client.invoke(FunctionName="echo", Payload=b'{"a": "b c"}', LogType="Tail")
            names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
            print(json.dumps({"status": r["StatusCode"], "payload": r["Payload"].read().decode(), "names": names}))
        except client.exceptions.ClientError as e:
            print(json.dumps({"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                              "message": e.response["Error"]["Message"]}))
        """

    @Test func offLoopback_aClientSigningWithTheAdminToken_isLetIn_andOneSigningWithAnotherSecretIsNot() throws {
        let project = try TestProject(listen: "0.0.0.0:0")
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)

        let signed = try Boto3.run(daemon, secret: daemon.token, Self.call)
        #expect(signed["status"] as? Int == 200, "\(signed)")
        #expect(signed["payload"] as? String == #"{"a": "b c"}"#)
        #expect(signed["names"] as? [String] == ["echo"])

        let wrong = try Boto3.run(daemon, secret: "not-the-admin-token", Self.call)
        #expect(wrong["status"] as? Int == 403)
        #expect(wrong["error"] as? String == "InvalidSignatureException")
        #expect((wrong["message"] as? String)?.contains("use the token in .flint/admin-token as the secret access key") == true, "\(wrong)")
    }
}

enum Boto3 {
    static let isAvailable: Bool = {
        (try? run(python: ["-c", "import boto3"]).status) == 0
    }()

    /// Runs `body` with `client` = boto3's Lambda client aimed at `daemon`, signing with
    /// `secret`; returns the JSON it prints.
    static func run(_ daemon: RunningDaemon, secret: String = "flint", _ body: String) throws -> [String: Any] {
        let script = """
            import base64, json, boto3
            from botocore.config import Config
            client = boto3.client("lambda", endpoint_url="\(daemon.url.absoluteString)", region_name="local",
                                  aws_access_key_id="flint", aws_secret_access_key="\(secret)",
                                  config=Config(retries={"max_attempts": 1}))
            \(body)
            """
        let result = try run(python: ["-c", script])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("the boto3 script failed (\(result.status)): \(result.stderr)\n\(result.stdout)")
        }
        return object
    }

    private static func run(python arguments: [String]) throws -> Subprocess.Output {
        try Subprocess.run("/usr/bin/env", ["python3"] + arguments)
    }
}

/// The Invoke API's error answers, checked on the wire.
@Suite struct LambdaInvokeErrorTests {
    static func daemon() throws -> RunningDaemon {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        return try RunningDaemon(project)
    }

    @Test func invalidJSONPayload_isInvalidRequestContent() async throws {
        let daemon = try Self.daemon()
        let reply = try await daemon.request("POST", "/2015-03-31/functions/echo/invocations", body: Data("not json".utf8))
        #expect(reply.status == 400)
        #expect(reply.headers["x-amzn-errortype"] == "InvalidRequestContentException")
        #expect(try reply.json()["Type"] as? String == "User")
        #expect(reply.headers["x-amzn-requestid"] != nil)
        #expect(reply.headers["x-amz-executed-version"] == "$LATEST")
    }

    /// A name Lambda's pattern refuses is a ValidationException that quotes it decoded; one it
    /// lets through (a dot) is simply not found.
    @Test func malformedFunctionName_isValidationException_andADottedOneIsNotFound() async throws {
        let daemon = try Self.daemon()
        let malformed = try await daemon.request("POST", "/2015-03-31/functions/a%20b/invocations", body: Data("{}".utf8))
        #expect(malformed.status == 400)
        #expect(malformed.headers["x-amzn-errortype"] == "ValidationException")
        #expect((try malformed.json()["Message"] as? String)?.contains("Value 'a b' at 'functionName'") == true, "\(malformed.text)")
        let dotted = try await daemon.request("POST", "/2015-03-31/functions/My.Func/invocations", body: Data("{}".utf8))
        #expect(dotted.status == 404)
        #expect(dotted.headers["x-amzn-errortype"] == "ResourceNotFoundException")
    }

    /// `aws lambda get-account-settings`, say: botocore names the error instead of "(404)".
    @Test func operationFlintDoesNotImplement_isUnknownOperation_andOtherPathsStayPlainNotFound() async throws {
        let daemon = try Self.daemon()
        let settings = try await daemon.request("GET", "/2016-08-19/account-settings/")
        #expect(settings.status == 404)
        #expect(settings.headers["x-amzn-errortype"] == "UnknownOperationException")
        #expect((try settings.json()["Message"] as? String)?.contains("GET /2016-08-19/account-settings/") == true, "\(settings.text)")
        let aliases = try await daemon.request("GET", "/2015-03-31/functions/echo/aliases")
        #expect(aliases.headers["x-amzn-errortype"] == "UnknownOperationException")
        let other = try await daemon.request("GET", "/nothing-here")
        #expect(other.status == 404)
        #expect(other.headers["x-amzn-errortype"] == nil)
    }

    /// JSON as RFC 8259 has it, not as JSONSerialization forgives it: a runtime's own reader
    /// (Python's json, say) would refuse a trailing comma, and Lambda refuses it first.
    @Test(arguments: ["[1,]", #"{"a":[1,],}"#, "\u{FEFF}{}"])
    func payloadThatIsNotStrictJSON_isInvalidRequestContent(payload: String) async throws {
        let daemon = try Self.daemon()
        let reply = try await daemon.request("POST", "/2015-03-31/functions/echo/invocations", body: Data(payload.utf8))
        #expect(reply.status == 400)
        #expect(reply.headers["x-amzn-errortype"] == "InvalidRequestContentException")
    }

    @Test func clientContextThatIsNotBase64JSON_isInvalidRequestContent() async throws {
        let daemon = try Self.daemon()
        let reply = try await daemon.request(
            "POST", "/2015-03-31/functions/echo/invocations", body: Data("{}".utf8), headers: ["X-Amz-Client-Context": "!!!notb64"])
        #expect(reply.status == 400)
        #expect(reply.headers["x-amzn-errortype"] == "InvalidRequestContentException")
        let valid = Data(#"{"custom":{"k":"v"}}"#.utf8).base64EncodedString()
        let accepted = try await daemon.request(
            "POST", "/2015-03-31/functions/echo/invocations", body: Data("{}".utf8), headers: ["X-Amz-Client-Context": valid])
        #expect(accepted.status == 200)
    }

    @Test func logTypeOtherThanNoneOrTail_isInvalidParameterValue() async throws {
        let daemon = try Self.daemon()
        let reply = try await daemon.request(
            "POST", "/2015-03-31/functions/echo/invocations", body: Data("{}".utf8), headers: ["X-Amz-Log-Type": "tail"])
        #expect(reply.status == 400)
        #expect(reply.headers["x-amzn-errortype"] == "InvalidParameterValueException")
        #expect(try reply.json()["Message"] as? String == "LogType tail is not one of None, Tail")
        let none = try await daemon.request(
            "POST", "/2015-03-31/functions/echo/invocations", body: Data("{}".utf8), headers: ["X-Amz-Log-Type": "None"])
        #expect(none.status == 200)
        #expect(none.headers["x-amz-log-result"] == nil)
    }

    @Test func payloadOver6MiB_isRequestTooLarge() async throws {
        let daemon = try Self.daemon()
        let reply = try await daemon.request("POST", "/2015-03-31/functions/echo/invocations", body: Data(count: 6 * 1024 * 1024 + 1))
        #expect(reply.status == 413)
        #expect(reply.headers["x-amzn-errortype"] == "RequestTooLargeException")
    }

    @Test func qualifierOtherThanLatest_isResourceNotFound() async throws {
        let daemon = try Self.daemon()
        let inPath = try await daemon.request("POST", "/2015-03-31/functions/echo:prod/invocations", body: Data("{}".utf8))
        #expect(inPath.status == 404)
        #expect(inPath.headers["x-amzn-errortype"] == "ResourceNotFoundException")
        #expect(inPath.headers["x-amz-executed-version"] == "$LATEST")
        let inQuery = try await daemon.request("POST", "/2015-03-31/functions/echo/invocations?Qualifier=7", body: Data("{}".utf8))
        #expect(inQuery.status == 404)
        let latest = try await daemon.request("POST", "/2015-03-31/functions/echo:$LATEST/invocations", body: Data("{}".utf8))
        #expect(latest.status == 200)
        #expect(latest.headers["x-amz-executed-version"] == "$LATEST")
        // Two qualifiers that differ, as Lambda says it; a function not found is named as read.
        let both = try await daemon.request("POST", "/2015-03-31/functions/echo:$LATEST/invocations?Qualifier=prod", body: Data("{}".utf8))
        #expect(both.status == 400)
        #expect(both.headers["x-amzn-errortype"] == "InvalidParameterValueException")
        #expect(both.text.contains("does not match the specified qualifier"), "\(both.text)")
        let missing = try await daemon.request("POST", "/2015-03-31/functions/nope:7/invocations", body: Data("{}".utf8))
        #expect(missing.status == 404)
        #expect(missing.text.contains("Function not found: arn:aws:lambda:local:000000000000:function:nope:7"), "\(missing.text)")
    }
}
