import Foundation
import Testing

/// What happens when handlers misbehave: the daemon contains them and stays up.
@Suite(.serialized) struct LimitsTests {
    @Test func timeout_killsTheHandlerAndItsGrandchild() async throws {
        let project = try TestProject()
        try project.addScriptFunction("stuck", script: """
            sleep 300 &
            echo $! > "$GRANDCHILD_FILE"
            sleep 300
            """, manifest: "timeout: 300ms\nenv:\n  GRANDCHILD_FILE: \(project.root)/grandchild.pid\n")
        try project.addRoute("stuck", function: "stuck", method: "GET", path: "/stuck")
        let daemon = try RunningDaemon(project)
        let reply = try await daemon.request("GET", "/stuck")
        #expect(reply.status == 500)
        let id = try #require(reply.headers["x-flint-invocation-id"])
        let record = try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true).json()
        #expect(record["outcome"] as? String == "timeout")

        let pidText = try String(contentsOfFile: project.root + "/grandchild.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcessProbe.isGone(pid), "the grandchild \(pid) outlived its invocation")
    }

    @Test func fiftyMiBOfOutput_isAnErrorAndTheDaemonStaysUp() async throws {
        let project = try TestProject()
        try project.addScriptFunction("flood", script: "head -c 52428800 /dev/zero\n")
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        let result = try FlintBinary.run(["invoke", "flood", "--project", project.root])
        #expect(result.status != 0)
        let listed = try await daemon.request("GET", "/v1/invocations?function=flood", authorized: true).json()
        let invocation = try #require((listed["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["outcome"] as? String == "output-too-large")
        // Still serving.
        #expect(try FlintBinary.run(["invoke", "echo", "--data", "[1]", "--project", project.root]).stdout == "[1]\n")
    }
}

enum ProcessProbe {
    /// True when `pid` no longer exists or is a zombie waiting for a reaper that is not Flint.
    static func isGone(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // Field 3, after the parenthesised command name, is the state.
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state == "Z" || state == "X"
    }
}
