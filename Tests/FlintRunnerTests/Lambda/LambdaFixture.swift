import FlintCore
import FlintRunner
import Foundation
import Logging
import Testing

/// A temporary function directory holding `runtime.py` (a small Runtime API client in the style of
/// awslambdaric, driven by its event's `action`), a directory where each instance leaves a file
/// named after its pid, and a `LambdaRunner`. `withLambdaFixture` stops every instance and removes
/// it all afterwards.
struct LambdaFixture {
    let root: String
    let runner: LambdaRunner

    var functionDirectory: String { root + "/function" }
    var workRoot: String { root + "/work" }
    var observeDirectory: String { root + "/pids" }

    init(settings: ExecRunnerSettings = .init(), isolation: HandlerIsolation = .processOnly, logHub: LogHub? = nil) throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/flint-lambda-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let root = String(cString: created)
        try FileManager.default.createDirectory(atPath: root + "/function", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: root + "/pids", withIntermediateDirectories: false)
        // Readable by a handler user other than the test's; the pid files are written by it.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: root + "/pids")
        let script = root + "/function/runtime.py"
        try Self.runtime.write(toFile: script, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        self.root = root
        runner = LambdaRunner(
            workRoot: root + "/work", settings: settings, isolation: isolation, logger: Logger(label: "flint.lambda.tests"),
            logHub: logHub
        )
    }

    /// `start` chooses how the runtime starts: `ok`, `slow` (sleeps `START_DELAY` seconds first),
    /// `exit` (before asking for work), `init-error`,
    /// `drop-first` (resets its first `/next` connection while the event is being written, unread),
    /// `park` (relays connections to its Runtime API from the address it writes to `api`, for
    /// tests that speak the API; the API's own address is in `api-direct`).
    func function(
        start: String = "ok", timeout: Duration = .seconds(10), memoryBytes: Int = FunctionManifest.defaultMemoryBytes,
        concurrency: Int = 4, idle: Duration = .seconds(30), environment: [String: String] = [:]
    ) -> FunctionManifest {
        FunctionManifest(
            name: "warm", directory: functionDirectory, runtime: .lambda, command: ["./runtime.py", "app.handler"],
            timeout: timeout, memoryBytes: memoryBytes, concurrency: concurrency, idle: idle,
            environment: environment.merging(["START": start, "OBSERVE_DIR": observeDirectory]) { $1 }
        )
    }

    func invoke(
        _ function: FunctionManifest, _ event: [String: Any] = [:], id: String = InvocationRequest.newID(),
        caller: LambdaCallerContext? = nil
    ) async throws -> InvocationResult {
        let payload = try JSONSerialization.data(withJSONObject: event)
        var request = InvocationRequest(id: id, function: function.name, source: .cli, payload: payload)
        request.caller = caller
        return await runner.run(request, function: function)
    }

    /// The pids of every instance started so far, oldest first.
    func instancePIDs() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: observeDirectory)) ?? []
        return names.compactMap(Int32.init).sorted()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    static let runtime = #"""
        #!/usr/bin/env python3
        # A Lambda runtime in the style of awslambdaric: one keep-alive connection to the Runtime API.
        import http.client, json, os, resource, sys, time

        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        observe = os.environ["OBSERVE_DIR"]
        open(os.path.join(observe, str(os.getpid())), "w").close()
        start = os.environ.get("START", "ok")
        base = "/2018-06-01/runtime"
        if start == "slow":
            time.sleep(float(os.environ["START_DELAY"]))
        if start == "exit":
            print("runtime: giving up before asking for work", file=sys.stderr, flush=True)
            sys.exit(3)
        if start == "park":
            # The test speaks the Runtime API for this runtime, through a relay in this process
            # (the API takes connections from the instance's own processes only): it writes the
            # relay's address to `api`, and the API's own to `api-direct`.
            import socket, threading
            relay = socket.socket()
            relay.bind(("127.0.0.1", 0))
            relay.listen(16)

            def pump(source, sink):
                try:
                    while data := source.recv(65536):
                        sink.sendall(data)
                except OSError:
                    pass
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

            def write(name, text):
                with open(os.path.join(observe, "..", name + ".tmp"), "w") as f:
                    f.write(text)
                os.rename(os.path.join(observe, "..", name + ".tmp"), os.path.join(observe, "..", name))

            write("api-direct", os.environ["AWS_LAMBDA_RUNTIME_API"])
            write("api", f"127.0.0.1:{relay.getsockname()[1]}")
            while True:
                client, _ = relay.accept()
                upstream = socket.create_connection((host, int(port)))
                threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        if start == "drop-first":
            # Asks for work, and resets the connection while the (larger than the socket buffers)
            # event is still being written, unread; then carries on as usual on a new connection.
            import select, socket, struct
            raw = socket.socket()
            # A fixed receive buffer (no autotuning): an event of a few MiB cannot fit in it.
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            raw.connect((host, int(port)))
            raw.sendall(f"GET {base}/invocation/next HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            select.select([raw], [], [])
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
            print("dropped the first event", file=sys.stderr, flush=True)
        conn = http.client.HTTPConnection(host, int(port))

        def call(method, path, body=None, headers={}, chunked=False):
            conn.request(method, path, body=body, headers=headers, encode_chunked=chunked)
            response = conn.getresponse()
            return response, response.read()

        def alive():
            count = 0
            for name in os.listdir(observe):
                try:
                    with open(f"/proc/{name}/stat") as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                if state not in ("Z", "X"):
                    count += 1
            return count

        if start == "init-error":
            error = {"errorMessage": "No module named 'app'", "errorType": "Runtime.ImportModuleError"}
            response, body = call("POST", base + "/init/error", json.dumps(error))
            print(f"init error answered {response.status} {body.decode()}", file=sys.stderr, flush=True)
            time.sleep(120)
            sys.exit(0)

        while True:
            response, body = call("GET", base + "/invocation/next")
            request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
            event = json.loads(body)
            print(f"handling {request_id}", flush=True)
            print(f"stderr line for {request_id}", file=sys.stderr, flush=True)
            action = event.get("action", "echo")
            if action == "sleep":
                time.sleep(event["seconds"])
            elif action == "hold":
                open(os.path.join(observe, "..", "held"), "w").close()
                time.sleep(event["seconds"])
            elif action == "burn":
                end = time.process_time() + event["seconds"]
                while time.process_time() < end:
                    pass
            elif action == "child-burn":
                # CPU spent by a child the runtime waits for (an image tool, say).
                import subprocess
                burn = "import time\nend = time.process_time() + %f\nwhile time.process_time() < end: pass" % event["seconds"]
                subprocess.run([sys.executable, "-c", burn], check=True)
            elif action == "crash":
                os._exit(7)
            elif action == "hang":
                open(os.path.join(observe, "..", "busy"), "w").close()
                time.sleep(3600)
            elif action == "leak":
                # A child with a Runtime API connection of its own (one request answered, so it
                # passed Flint's peer check), which then leaves the process group and notes
                # whether Flint closes the connection (or gives up after 30 s).
                if os.fork() == 0:
                    import select, socket
                    own = socket.create_connection((host, int(port)))
                    own.sendall(f"GET {base}/nothing HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                    reply = b""
                    while not reply.endswith(b"}"):
                        reply += own.recv(4096)
                    os.setsid()
                    readable, _, _ = select.select([own], [], [], 30)
                    closed = bool(readable) and own.recv(1) == b""
                    with open(os.path.join(observe, "..", "leak-closed" if closed else "leak-open"), "w"):
                        pass
                    os._exit(0)
            elif action == "hog":
                hog = b"x" * (event["mib"] * 1024 * 1024)
            elif action == "child-hog":
                # A child the OOM killer picks (the largest process of the cgroup); the runtime
                # goes on.
                import subprocess
                hog = "x = b'x' * (%d * 1024 * 1024)" % event["mib"]
                subprocess.run([sys.executable, "-c", hog])
            elif action == "fail":
                error = {"errorMessage": "division by zero", "errorType": "ZeroDivisionError", "stackTrace": []}
                call("POST", f"{base}/invocation/{request_id}/error", json.dumps(error))
                continue
            elif action == "fail-text":
                # A custom runtime's report that is no error document, its type in the header.
                call("POST", f"{base}/invocation/{request_id}/error", b"plain text failure",
                     headers={"Lambda-Runtime-Function-Error-Type": "Custom.Thing"})
                continue
            elif action == "big":
                answer, answered = call("POST", f"{base}/invocation/{request_id}/response", b"x" * (7 * 1024 * 1024))
                print(f"big answered {answer.status} {answered.decode()}", file=sys.stderr, flush=True)
                continue
            result = {
                "pid": os.getpid(), "uid": os.getuid(), "requestId": request_id, "alive": alive(), "cwd": os.getcwd(),
                "headers": {k.lower(): v for k, v in response.getheaders()}, "env": dict(os.environ),
                "event": {k: v for k, v in event.items() if k != "pad"},
                "nproc": list(resource.getrlimit(resource.RLIMIT_NPROC)),
            }
            encoded = json.dumps(result).encode()
            if action == "chunked":
                parts = [encoded[:10], encoded[10:]]
                answer, answered = call("POST", f"{base}/invocation/{request_id}/response", iter(parts), chunked=True)
            else:
                answer, answered = call("POST", f"{base}/invocation/{request_id}/response", encoded)
            print(f"answered {answer.status} {answered.decode()}", file=sys.stderr, flush=True)
            if action == "stall":
                time.sleep(3600)
            if action == "answer-then-exit":
                # Ends while idle, without asking for more work: after the test has sent the next one.
                time.sleep(0.3)
                os._exit(0)
            if action == "stale":
                again, _ = call("POST", f"{base}/invocation/{request_id}/response", b"{}")
                unknown, body = call("POST", f"{base}/invocation/not-a-request/response", b"{}")
                print(f"stale answered {again.status} / {unknown.status} {body.decode()}", file=sys.stderr, flush=True)
        """#
}

/// Runs `body` with a fresh fixture; afterwards stops every instance and removes the fixture,
/// whatever happened.
func withLambdaFixture(
    settings: ExecRunnerSettings = .init(), isolation: HandlerIsolation = .processOnly, logHub: LogHub? = nil,
    _ body: (LambdaFixture) async throws -> Void
) async throws {
    let fixture = try LambdaFixture(settings: settings, isolation: isolation, logHub: logHub)
    do {
        try await body(fixture)
    } catch {
        await fixture.runner.shutdown()
        fixture.remove()
        throw error
    }
    await fixture.runner.shutdown()
    #expect(fixture.instancePIDs().allSatisfy(isGone), "shutdown left an instance running")
    #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.workRoot)) ?? [] == [], "scratch directories left behind")
    fixture.remove()
}

extension InvocationResult {
    /// The runtime's report of an echo invocation.
    func report() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            throw LambdaTestFailure("not a JSON object: \(outputText) (\(record.outcome): \(record.errorMessage ?? "-"), log: \(logText))")
        }
        return object
    }

    func reportedPID() throws -> Int32 {
        guard let pid = try report()["pid"] as? Int else { throw LambdaTestFailure("no pid in \(outputText)") }
        return Int32(pid)
    }
}

struct LambdaTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
