import Foundation
import Testing

/// `flint logs -f`, `/metrics` and the daemon's structured log, through the real binary.
@Suite struct ObservabilityTests {
    /// A handler that logs, then waits for `go` (a file the test creates) before it ends.
    static func waitingHandler(go: String) -> String {
        """
        echo "waiting for $FLINT_INVOCATION_ID" >&2
        while [ ! -e '\(go)' ]; do sleep 0.01; done
        echo "done $FLINT_INVOCATION_ID" >&2
        echo '{}'

        """
    }

    @Test func logsFollow_showsALineWhileTheHandlerStillRuns() async throws {
        let project = try TestProject()
        let go = project.root + "/go"
        try project.addScriptFunction("talk", script: Self.waitingHandler(go: go))
        try project.addScriptFunction("other", script: "cat > /dev/null\necho '{}'\n")
        let daemon = try RunningDaemon(project)

        let follower = try BackgroundFlint(["logs", "talk", "-f", "--project", project.root])
        try await follower.waitUntil("the follower to subscribe") { _, stderr in stderr.contains("following talk") }
        let queued = try FlintBinary.run(["invoke", "talk", "--async", "--project", project.root])
        #expect(queued.status == 0, "\(queued.stderr)")
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        try await follower.waitUntil("the handler's first line") { stdout, _ in stdout.contains("waiting for \(id)") }
        // The handler cannot have ended: it waits for a file that does not exist yet.
        #expect(!FileManager.default.fileExists(atPath: go))
        let line = try #require(follower.stdout.split(separator: "\n").first { $0.hasSuffix("waiting for \(id)") })
        let parts = line.components(separatedBy: "  ")
        #expect(parts.count == 3)
        #expect(parts[1] == id)
        #expect(parts[0].hasSuffix("Z") && parts[0].count == "2026-11-22T10:01:02.123Z".count)

        // Another function's invocation, running: refused, naming its function (it used to follow nothing).
        let elsewhere = try FlintBinary.run(["logs", "other", "--invocation", id, "-f", "--project", project.root], timeout: 20)
        #expect(elsewhere.status != 0)
        #expect(elsewhere.stderr.contains("invocation \(id) is of function talk, not other"), "\(elsewhere.stderr)")

        // One invocation followed: its lines, then it exits once the invocation has ended.
        let one = try BackgroundFlint(["logs", "talk", "--invocation", id, "-f", "--project", project.root])
        try await one.waitUntil("the invocation follower to subscribe") { _, stderr in stderr.contains("following invocation \(id)") }
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        try await one.waitUntil("the invocation's last line") { stdout, _ in stdout.contains("done \(id)") }
        try await one.waitForExit()
        #expect(one.status == 0, "\(one.stderr)")
        try await follower.waitUntil("the last line on the function follower") { stdout, _ in stdout.contains("done \(id)") }
        #expect(follower.isRunning)

        // Following an invocation that has ended prints its stored log and exits.
        let ended = try FlintBinary.run(["logs", "talk", "--invocation", id, "-f", "--project", project.root], timeout: 20)
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(ended.stdout.contains("  \(id)  waiting for \(id)\n") && ended.stdout.contains("  \(id)  done \(id)\n"))
        let unknown = try FlintBinary.run(["logs", "talk", "--invocation", "no-such-id", "-f", "--project", project.root], timeout: 20)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no running, queued or finished invocation with id no-such-id"))
        // Its stored log, asked for under another function: refused, naming its function.
        let storedElsewhere = try FlintBinary.run(["logs", "other", "--invocation", id, "--project", project.root], timeout: 20)
        #expect(storedElsewhere.status != 0)
        #expect(storedElsewhere.stderr.contains("invocation \(id) is of function talk, not other"), "\(storedElsewhere.stderr)")
        _ = daemon
    }

    @Test func logsFollow_endsWhenTheDaemonStops() async throws {
        let project = try TestProject()
        try project.addScriptFunction("quiet", script: "echo '{}'\n")
        let daemon = try RunningDaemon(project)
        let follower = try BackgroundFlint(["logs", "quiet", "-f", "--project", project.root])
        try await follower.waitUntil("the follower to subscribe") { _, stderr in stderr.contains("following quiet") }
        let stopped = try daemon.stop()
        #expect(stopped.status == 0)
        try await follower.waitForExit()
        #expect(follower.status == 0)
        try await follower.waitUntil("the follower to say why it ended") { _, stderr in stderr.contains("Flint is stopping") }
    }

    /// The value of the sample of `name` whose labels include all of `labels`, from a Prometheus text exposition.
    static func sample(_ exposition: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            let head = line.prefix { $0 != " " }
            guard labels.allSatisfy({ head.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    @Test func metrics_countInvocationsQueuesDeadLettersAndBucketEvents() async throws {
        let project = try TestProject()
        let go = project.root + "/go"
        try project.addScriptFunction("ok", script: "echo '{}'\n")
        try project.addScriptFunction("fail", script: "echo nope >&2; exit 3\n", manifest: "retries: 0\n")
        try project.addScriptFunction("slow", script: Self.waitingHandler(go: go), manifest: "concurrency: 1\n")
        try project.write("triggers/work.yaml", "source: queue\nfunction: slow\ntopic: jobs\nbatch: 1\n")
        try project.write("triggers/files.yaml", "source: bucket\nfunction: ok\nbucket: uploads\nevents: [created]\n")
        try FileManager.default.createDirectory(atPath: project.root + "/buckets/uploads", withIntermediateDirectories: true)
        let daemon = try RunningDaemon(project)

        for _ in 0 ..< 3 {
            #expect(try FlintBinary.run(["invoke", "ok", "--project", project.root]).status == 0)
        }
        #expect(try FlintBinary.run(["invoke", "fail", "--async", "--project", project.root]).status == 0)
        for index in 0 ..< 3 {
            #expect(try FlintBinary.run(["publish", "jobs", "--data", "job \(index)", "--project", project.root]).status == 0)
        }
        let file = project.root + "/picture.png"
        try "png".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try FlintBinary.run(["put", "uploads", file, "--project", project.root]).status == 0)

        // While the slow function holds its one slot: one job runs, two wait.
        let busy = try await eventually("one job running and two queued on /metrics") { () -> String? in
            let reply = try await daemon.request("GET", "/metrics")
            let text = reply.text
            let queue = ["subscription": "work", "function": "slow", "trigger": "work", "source": "queue"]
            guard Self.sample(text, "flint_queue_depth", queue) == 2, Self.sample(text, "flint_queue_in_flight", queue) == 1,
                Self.sample(text, "flint_dead_letters", ["subscription": "flint.invoke.fail"]) == 1,
                Self.sample(text, "flint_invocations_total", ["function": "ok", "outcome": "ok"]) == 4
            else { return nil }
            return text
        }
        #expect(Self.sample(busy, "flint_running_instances", ["function": "slow"]) == 1)
        #expect(Self.sample(busy, "flint_invocations_total", ["function": "fail", "outcome": "error"]) == 1)
        #expect(Self.sample(busy, "flint_invocation_duration_seconds_count", ["function": "ok"]) == 4)
        #expect(Self.sample(busy, "flint_invocation_duration_seconds_bucket", ["function": "ok", "le": "+Inf"]) == 4)
        #expect(Self.sample(busy, "flint_cold_starts_total", ["function": "ok"]) == 4)
        #expect(Self.sample(busy, "flint_bucket_events_total", ["trigger": "files", "bucket": "uploads", "event": "created"]) == 1)
        #expect(busy.contains("# TYPE flint_invocation_duration_seconds histogram"))

        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let drained = try await eventually("the queue drained on /metrics") { () -> String? in
            let text = try await daemon.request("GET", "/metrics").text
            // An invocation is counted as it finishes, a moment before its slot is given back.
            guard Self.sample(text, "flint_invocations_total", ["function": "slow", "outcome": "ok"]) == 3,
                Self.sample(text, "flint_running_instances", ["function": "slow"]) == 0
            else { return nil }
            return text
        }
        #expect(Self.sample(drained, "flint_queue_depth", ["subscription": "work"]) == 0)
        let reply = try await daemon.request("GET", "/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
    }

    @Test func daemonLog_isLogfmtWithTheInvocationsFlintMetadata() async throws {
        let project = try TestProject()
        try project.addScriptFunction("fail", script: "exit 3\n")
        let daemon = try RunningDaemon(project, environment: ["FLINT_LOG_LEVEL": "debug"])
        let failed = try FlintBinary.run(["invoke", "fail", "--project", project.root])
        #expect(failed.status != 0)
        let id = try #require(failed.stderr.range(of: "invocation ").map { failed.stderr[$0.upperBound...].prefix(36) })
        #expect(try daemon.stop().status == 0)
        let log = daemon.standardErrorText()
        let line = try #require(
            log.split(separator: "\n").first { $0.contains("flint.invocation.id=\(id)") && $0.contains("msg=\"invocation failed\"") }, "\(log)"
        )
        #expect(line.hasPrefix("time=") && line.contains(" level=debug msg="))
        #expect(line.contains(" flint.function=fail") && line.contains(" flint.outcome=error") && line.contains(" flint.source=lambda"))
        // The runner's own lines about the invocation carry the same keys.
        #expect(log.contains("msg=\"invocation ended\" flint.attempt=1 flint.duration_us="))
    }
}
