import Foundation
import Testing

@Suite(.serialized) struct LifecycleTests {
    @Test func sigterm_drainsInFlightInvocationsAndExitsZero() async throws {
        let project = try TestProject()
        try project.addScriptFunction("slow", script: "cat > /dev/null\nsleep 1\necho '{\"done\":true}'\n")
        try project.addRoute("slow", function: "slow", method: "POST", path: "/slow")
        let daemon = try RunningDaemon(project)
        async let reply = daemon.request("POST", "/slow", body: Data("{}".utf8))
        // Stop only once the handler runs, so the drain has something to wait for.
        let deadline = Date().addingTimeInterval(10)
        while try await daemon.request("GET", "/v1/functions", authorized: true).text.contains("\"running\":0") {
            guard Date() < deadline else { throw TestFailure("the slow handler never started") }
            try await Task.sleep(for: .milliseconds(10))
        }
        let stopped = try daemon.stop(signal: SIGTERM)
        #expect(try await reply.text == "{\"done\":true}\n")
        #expect(stopped.status == 0)
        #expect(stopped.stdout.contains("slow"))
        #expect(stopped.stdout.contains("flint: stopped"))
    }

    @Test func sigint_exitsZero() throws {
        let daemon = try RunningDaemon(try TestProject())
        #expect(try daemon.stop(signal: SIGINT).status == 0)
    }

    @Test func up_printsWhatItLoaded() throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        try project.addRoute("echo", function: "echo", method: "POST", path: "/echo")
        let daemon = try RunningDaemon(project)
        let output = try daemon.stop().stdout
        #expect(output.contains("flint: listening on http://127.0.0.1:"))
        #expect(output.contains("function echo"))
        #expect(output.contains("trigger echo  http POST /echo"))
    }

    @Test func nonLoopbackListenerWithAnOpenTrigger_isRefusedAtStartup() throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        try project.addRoute("open", function: "echo", method: "POST", path: "/open", auth: "none")
        let result = try FlintBinary.run(["up", "--project", project.root, "--listen", "0.0.0.0:0"], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a loopback address"))
        #expect(result.stderr.contains("open"))
    }
}
