import Foundation
import Testing

/// Concurrency limits as the handlers themselves see them: each handler marks itself running in a
/// shared directory, counts the marks, and records the count before it ends. Each runs for half a
/// second, so that handlers admitted together overlap even on a busy machine.
@Suite(.serialized) struct ConcurrencyTests {
    /// A function whose handler records how many handlers (of any function sharing `running`)
    /// were running when it started.
    private func addCountingFunction(_ name: String, to project: TestProject, running: String, seen: String, concurrency: Int) throws {
        try project.addScriptFunction(name, script: """
            touch "$RUNNING/$$"
            ls "$RUNNING" | wc -l >> "$SEEN"
            sleep 0.5
            rm "$RUNNING/$$"
            echo done
            """, manifest: "concurrency: \(concurrency)\nenv:\n  RUNNING: \(running)\n  SEEN: \(seen)\n")
    }

    /// A directory every handler may write to, whatever user it runs as.
    private func sharedDirectory(_ project: TestProject, _ name: String) throws -> String {
        let path = project.root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        return path
    }

    private func counts(_ path: String) throws -> [Int] {
        try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }

    private func callConcurrently(_ daemon: RunningDaemon, paths: [String]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for path in paths {
                group.addTask { try await daemon.request("POST", path, body: Data("{}".utf8)).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func functionConcurrency_isNeverExceeded() async throws {
        let project = try TestProject()
        let running = try sharedDirectory(project, "running")
        let seen = try sharedDirectory(project, "seen") + "/counts"
        try addCountingFunction("slow", to: project, running: running, seen: seen, concurrency: 2)
        try project.addRoute("slow", function: "slow", method: "POST", path: "/slow")
        let daemon = try RunningDaemon(project)

        let statuses = try await callConcurrently(daemon, paths: Array(repeating: "/slow", count: 8))
        #expect(statuses == Array(repeating: 200, count: 8))
        let observed = try counts(seen)
        #expect(observed.count == 8)
        #expect(observed.max() == 2, "handlers saw \(observed) running at once; the function allows 2")
    }

    /// A call still waiting for a slot when its client disconnects is dropped, never run: nobody
    /// would get its answer, and a client retrying timed-out calls would queue copies that all run.
    @Test func waitingCall_whoseClientDisconnects_isNeverRun() async throws {
        let project = try TestProject()
        let seen = try sharedDirectory(project, "seen") + "/bodies"
        try project.addScriptFunction("slow", script: """
            python3 -c 'import json, sys; print(json.load(sys.stdin)["body"])' >> "$SEEN"
            sleep 0.5
            echo done
            """, manifest: "concurrency: 1\nenv:\n  SEEN: \(seen)\n")
        try project.addRoute("slow", function: "slow", method: "POST", path: "/slow")
        let daemon = try RunningDaemon(project)
        let client = #"""
            import socket, sys, time
            port = int(sys.argv[1])
            def send(body, close=False):
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                head = f"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                s.sendall((head + ("Connection: close\r\n" if close else "") + "\r\n" + body).encode())
                return s
            holder = send("holder")
            time.sleep(0.2)
            for n in range(3):
                abandoned = send(f"abandoned{n}")
                time.sleep(0.05)
                abandoned.close()
            print("holder:", holder.recv(100).split(b"\r\n")[0].decode())
            after = send("after", close=True)
            print("after:", after.recv(100).split(b"\r\n")[0].decode())
            """#
        let run = try Subprocess.run("/usr/bin/python3", ["-c", client, String(daemon.url.port ?? 0)], timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "holder: HTTP/1.1 200 OK\nafter: HTTP/1.1 200 OK\n", "\(run.stdout)")
        let bodies = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(bodies == ["holder", "after"], "the abandoned calls ran: \(bodies)")
        withExtendedLifetime(daemon) {}
    }

    @Test func hostConcurrency_capsAllFunctionsTogether() async throws {
        let project = try TestProject()
        try project.appendToConfig("concurrency: 3\n")
        let running = try sharedDirectory(project, "running")
        let seen = try sharedDirectory(project, "seen") + "/counts"
        try addCountingFunction("left", to: project, running: running, seen: seen, concurrency: 3)
        try addCountingFunction("right", to: project, running: running, seen: seen, concurrency: 3)
        try project.addRoute("left", function: "left", method: "POST", path: "/left")
        try project.addRoute("right", function: "right", method: "POST", path: "/right")
        let daemon = try RunningDaemon(project)
        let statuses = try await callConcurrently(daemon, paths: (0 ..< 12).map { $0.isMultiple(of: 2) ? "/left" : "/right" })
        #expect(statuses == Array(repeating: 200, count: 12))
        let (status, announced) = try daemon.stop()
        #expect(status == 0)
        let observed = try counts(seen)
        #expect(observed.count == 12)
        #expect(observed.max() == 3, "handlers saw \(observed) running at once; flint.yaml allows 3 in all")
        #expect(announced.contains("at most 3 handler process(es) at once across all functions (concurrency in flint.yaml)"))
    }
}
