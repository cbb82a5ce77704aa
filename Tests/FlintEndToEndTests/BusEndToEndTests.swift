import Foundation
import Testing

/// The bus through a running daemon: queue triggers, retries, dead letters, partial batches,
/// FIFO groups, dedup, plain SQL publishing, asynchronous invocation, destinations, schedules.
@Suite(.serialized) struct BusEndToEndTests {
    /// A handler that appends its whole event, as one line, to `out` (atomic for lines < 4 KiB).
    static func recorder(_ out: String, then script: String = "") -> String {
        "event=$(cat)\nprintf '%s\\n' \"$event\" >> \(out)\n" + script
    }

    /// Lines of `path` parsed as JSON objects (missing file: none).
    static func events(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The SQS records of every event in `path`.
    static func records(_ path: String) -> [[String: Any]] {
        events(path).flatMap { ($0["Records"] as? [[String: Any]]) ?? [] }
    }

    /// Waits (bounded) until `condition` holds; tests poll files the handlers write. It sleeps
    /// with `Task.sleep`: blocking a thread of Swift's cooperative pool (two on this machine)
    /// would starve the other suites running in parallel.
    static func waitUntil(_ what: String, within seconds: Double = 20, _ condition: () throws -> Bool) async throws {
        _ = try await eventually(what, within: seconds) { try condition() ? true : nil }
    }

    /// Runs blocking work on a thread of its own, leaving Swift's cooperative pool free.
    static func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    static func publish(_ daemon: RunningDaemon, _ topic: String, _ body: Any) async throws -> RunningDaemon.Reply {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await daemon.request("POST", "/v1/topics/\(topic)/messages", body: data, authorized: true)
    }

    static func sqlite(_ database: String, _ sql: String) throws -> String {
        try Subprocess.output(of: "/usr/bin/sqlite3", ["-cmd", ".timeout 10000", database, sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func queueTrigger_deliversMessagesAsSQSRecords() async throws {
        let project = try TestProject()
        let out = project.root + "/seen.jsonl"
        try project.addScriptFunction("take", script: Self.recorder(out))
        try project.addQueueTrigger("take-jobs", function: "take", topic: "jobs", batch: 10, window: "300ms")
        let daemon = try RunningDaemon(project)
        let reply = try await Self.publish(daemon, "jobs", [
            ["body": "one", "attributes": ["kind": "a"]], ["body": ["n": 2]], ["body": "three", "group_key": "g"],
        ])
        #expect(reply.status == 201, "\(reply.text)")
        let ids = try #require(try reply.json()["messages"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids.count == 3)
        try await Self.waitUntil("three records") { Self.records(out).count == 3 }
        // The window gathers the three into one invocation.
        #expect(Self.events(out).count == 1)
        let records = Self.records(out)
        #expect(records.compactMap { $0["messageId"] as? String } == ids)
        #expect(records.compactMap { $0["body"] as? String } == ["one", #"{"n":2}"#, "three"])
        let first = records[0]
        #expect(first["eventSource"] as? String == "aws:sqs")
        #expect(first["eventSourceARN"] as? String == "arn:aws:sqs:local:000000000000:jobs")
        #expect(first["md5OfBody"] as? String == "f97c5d29941bfb1b2fdab0874906ab82")  // md5("one")
        let attributes = try #require(first["attributes"] as? [String: String])
        #expect(attributes["ApproximateReceiveCount"] == "1")
        #expect(((first["messageAttributes"] as? [String: Any])?["kind"] as? [String: Any])?["stringValue"] as? String == "a")
        #expect((records[2]["attributes"] as? [String: String])?["MessageGroupId"] == "g")

        // The topic in the path is percent-decoded, as any path is.
        let encoded = try await Self.publish(daemon, "j%6Fbs", ["body": "four"])
        #expect(encoded.status == 201, "\(encoded.text)")
        try await Self.waitUntil("the fourth record") { Self.records(out).count == 4 }
    }

    @Test func failures_retryWithGrowingDelays_thenDeadLetter_andReplay() async throws {
        let project = try TestProject()
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nbus: {retry_base: 100ms, retry_max: 10s}\n")
        let out = project.root + "/attempts.txt"
        try project.addScriptFunction("flaky", script: "date +%s%N >> \(out)\necho \"attempt $FLINT_ATTEMPT failed\" >&2\nexit 3\n", manifest: "retries: 3\n")
        try project.addQueueTrigger("flaky-jobs", function: "flaky", topic: "jobs")
        let daemon = try RunningDaemon(project)
        #expect(try await Self.publish(daemon, "jobs", ["body": "doomed"]).status == 201)

        let lines = { (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").compactMap { Double($0) } ?? [] }
        try await Self.waitUntil("4 attempts") { lines().count == 4 }
        var dead: [[String: Any]] = []
        try await Task.sleep(for: .milliseconds(200))
        dead = try #require(try await daemon.request("GET", "/v1/deadletters", authorized: true).json()["deadletters"] as? [[String: Any]])
        #expect(dead.count == 1)
        #expect(dead.first?["attempts"] as? Int == 4)
        #expect((dead.first?["last_error"] as? String)?.contains("exit status 3") == true)
        #expect(lines().count == 4, "no attempt after the last retry")
        let times = lines()
        let gaps = zip(times.dropFirst(), times).map { ($0 - $1) / 1e6 }  // ms
        // Equal jitter: 50–100 ms, then 100–200, then 200–400 (spawning adds a little, and a
        // busy machine more, so only the floors and the overall growth are asserted).
        #expect(gaps[0] >= 45, "\(gaps)")
        #expect(gaps[1] >= 95, "\(gaps)")
        #expect(gaps[2] >= 195, "\(gaps)")
        #expect(gaps[2] > gaps[0], "\(gaps)")

        let id = try #require(dead.first?["id"] as? Int)
        // Not ids: refused, rather than rounded down (12.9) or taken for 1 (true). Nor is a body
        // that asks for two things (ids and all).
        for body in [
            #"{"ids": [\#(id).9]}"#, #"{"ids": [true]}"#, #"{"ids": ["x"]}"#, #"{"ids": [\#(id)], "all": true}"#,
            #"{"ids": [\#(id)], "all": false}"#,
        ] {
            let refused = try await daemon.request("POST", "/v1/deadletters/replay", body: Data(body.utf8), authorized: true)
            #expect(refused.status == 400, "\(body): \(refused.text)")
        }
        // A misspelt field is refused, not ignored: ignored, this one would replay every function's.
        let misspelt = try await daemon.request("POST", "/v1/deadletters/replay", body: Data(#"{"all": true, "Function": "other"}"#.utf8), authorized: true)
        #expect(misspelt.status == 400, "\(misspelt.text)")
        #expect(misspelt.text.contains("unknown field(s) Function;"), "\(misspelt.text)")
        let replay = try await daemon.request("POST", "/v1/deadletters/replay", body: Data(#"{"ids": [\#(id), 999999]}"#.utf8), authorized: true)
        #expect(replay.status == 200)
        #expect(try replay.json()["replayed"] as? [Int] == [id])
        #expect(try replay.json()["missing"] as? [Int] == [999999])
        #expect(try replay.json()["retired"] as? [Int] == [])
        try await Self.waitUntil("four more attempts after replay") { lines().count == 8 }
    }

    @Test func partialBatchFailure_retriesOnlyTheFailedMessage() async throws {
        let project = try TestProject()
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nbus: {retry_base: 50ms}\n")
        let out = project.root + "/seen.jsonl"
        try project.write("functions/picky/picky.py", """
            import json, sys
            event = json.load(sys.stdin)
            with open("\(out)", "a") as f:
                f.write(json.dumps(event) + "\\n")
            failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                      if r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "1"]
            print(json.dumps({"batchItemFailures": failed}))
            """)
        try project.write("functions/picky/function.yaml", "name: picky\ncommand: [\"python3\", \"-I\", \"./picky.py\"]\n")
        try project.addQueueTrigger("picky-jobs", function: "picky", topic: "jobs", batch: 10, window: "300ms")
        let daemon = try RunningDaemon(project)
        let reply = try await Self.publish(daemon, "jobs", ["a", "b", "bad", "c", "d"].map { ["body": $0] })
        #expect(reply.status == 201)
        try await Self.waitUntil("the retry of the failed message") { Self.events(out).count == 2 }
        try await Task.sleep(for: .milliseconds(300))
        let events = Self.events(out)
        #expect(events.count == 2, "only one retry")
        let bodies = events.map { (($0["Records"] as? [[String: Any]]) ?? []).compactMap { $0["body"] as? String } }
        #expect(bodies == [["a", "b", "bad", "c", "d"], ["bad"]])
        let retried = (events[1]["Records"] as? [[String: Any]])?.first
        #expect((retried?["attributes"] as? [String: String])?["ApproximateReceiveCount"] == "2")
    }

    @Test func groups_keepPublishingOrder_acrossConcurrentInstances() async throws {
        let project = try TestProject()
        let out = project.root + "/order.txt"
        // Random small delays: without the group rule, concurrent instances would reorder.
        try project.addScriptFunction(
            "ordered", script: Self.recorder(out + ".events", then: "sleep 0.0$(( $$ % 3 ))\n"),
            manifest: "concurrency: 4\n")
        try project.addQueueTrigger("ordered-jobs", function: "ordered", topic: "jobs")
        let daemon = try RunningDaemon(project)
        var messages: [[String: Any]] = []
        for sequence in 0 ..< 12 {
            for group in ["x", "y"] {
                messages.append(["body": "\(group)\(sequence)", "group_key": group])
            }
        }
        #expect(try await Self.publish(daemon, "jobs", messages).status == 201)
        try await Self.waitUntil("24 deliveries", within: 20) { Self.records(out + ".events").count == 24 }
        let bodies = Self.records(out + ".events").compactMap { $0["body"] as? String }
        for group in ["x", "y"] {
            #expect(bodies.filter { $0.hasPrefix(group) } == (0 ..< 12).map { "\(group)\($0)" })
        }
    }

    @Test func dedupKey_publishesOnce_andPlainSQLInsertIsDelivered() async throws {
        let project = try TestProject()
        let out = project.root + "/seen.jsonl"
        try project.addScriptFunction("take", script: Self.recorder(out))
        try project.addQueueTrigger("take-jobs", function: "take", topic: "jobs")
        let daemon = try RunningDaemon(project)
        let first = try await Self.publish(daemon, "jobs", ["body": "once", "dedup_key": "k1"]).json()
        let second = try await Self.publish(daemon, "jobs", ["body": "once again", "dedup_key": "k1"]).json()
        #expect(first["id"] as? String == second["id"] as? String)
        #expect(first["duplicate"] as? Bool == false)
        #expect(second["duplicate"] as? Bool == true)

        _ = try Self.sqlite(project.dataDirectory + "/flint.sqlite", "INSERT INTO messages (topic, body) VALUES ('jobs', 'from sqlite3')")
        try await Self.waitUntil("the SQL-inserted message") { Self.records(out).contains { $0["body"] as? String == "from sqlite3" } }
        try await Task.sleep(for: .milliseconds(200))
        #expect(Self.records(out).compactMap { $0["body"] as? String }.sorted() == ["from sqlite3", "once"])

        let unknown = try await Self.publish(daemon, "nope", ["body": "x"])
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("unknown topic"))
        let huge = try await Self.publish(daemon, "jobs", ["body": String(repeating: "x", count: 1024 * 1024 + 1)])
        #expect(huge.status == 413)
        // A list is refused whole, naming the message to fix.
        let hugeInAList = try await Self.publish(daemon, "jobs", [["body": "fine"], ["body": String(repeating: "x", count: 1024 * 1024 + 1)]])
        #expect(hugeInAList.status == 413)
        #expect(hugeInAList.text.contains(#"message 2: the message for topic \"jobs\" is 1048577 bytes"#), "\(hugeInAList.text)")
    }

    @Test func asynchronousInvocation_returns202_thenShowsItsProgress_andSendsDestinations() async throws {
        let project = try TestProject()
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nbus: {retry_base: 20ms}\n")
        let gate = project.root + "/gate"
        try project.addScriptFunction("slow", script: "while [ ! -e \(gate) ]; do sleep 0.02; done\ncat\n")
        try project.addRoute("slow-http", function: "slow", method: "POST", path: "/slow")
        try project.addScriptFunction("broken", script: "echo 'no luck' >&2\nexit 1\n", manifest: "retries: 1\non_failure: failures\n")
        let out = project.root + "/failures.jsonl"
        try project.addScriptFunction("watch", script: Self.recorder(out))
        try project.addQueueTrigger("watch-failures", function: "watch", topic: "failures")
        let daemon = try RunningDaemon(project)

        let accepted = try await daemon.request("POST", "/slow", body: Data("{}".utf8), headers: ["X-Flint-Invocation-Type": "Event"])
        #expect(accepted.status == 202)
        let id = try #require(try accepted.json()["invocation_id"] as? String)
        #expect(accepted.headers["x-flint-invocation-id"] == id)
        var status = ""
        let deadline = Date().addingTimeInterval(10)
        while status != "running" && Date() < deadline {
            status = try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true).json()["status"] as? String ?? ""
            if status != "running" { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(status == "running")
        #expect(FileManager.default.createFile(atPath: gate, contents: Data()), "could not create the gate file \(gate)")
        while status != "done" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            status = try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true).json()["status"] as? String ?? ""
        }
        let view = try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true).json()
        #expect(view["status"] as? String == "done")
        #expect(view["outcome"] as? String == "ok")
        #expect((view["invocation"] as? [String: Any])?["trigger"] as? String == "slow-http")
        #expect((view["invocation"] as? [String: Any])?["source"] as? String == "http")

        // Lambda's Event invocation: 202 at once; after its retry, the failure destination gets the record.
        let event = try await daemon.request(
            "POST", "/2015-03-31/functions/broken/invocations", body: Data(#"{"k":"v"}"#.utf8), headers: ["X-Amz-Invocation-Type": "Event"])
        #expect(event.status == 202)
        let brokenID = try #require(event.headers["x-flint-invocation-id"])
        try await Self.waitUntil("the failure destination") { Self.records(out).count == 1 }
        let record = try #require(Self.records(out).first?["body"] as? String)
        let destination = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
        let context = try #require(destination["requestContext"] as? [String: Any])
        #expect(context["requestId"] as? String == brokenID)
        #expect(context["condition"] as? String == "RetriesExhausted")
        #expect(context["approximateInvokeCount"] as? Int == 2)
        #expect((destination["requestPayload"] as? [String: String]) == ["k": "v"])
        let final = try await daemon.request("GET", "/v1/invocations/\(brokenID)", authorized: true).json()
        #expect(final["status"] as? String == "dead")
        #expect(final["attempts"] as? Int == 2)
    }

    @Test func schedule_firesEventBridgeEvents_andAMissedTickOnceAtStart() async throws {
        let project = try TestProject()
        let out = project.root + "/ticks.jsonl"
        try project.addScriptFunction("tick", script: Self.recorder(out))
        try project.write("triggers/every-second.yaml", "source: schedule\nfunction: tick\nevery: 1s\n")
        var daemon: RunningDaemon? = try RunningDaemon(project)
        try await Self.waitUntil("a tick", within: 20) { Self.events(out).count >= 1 }
        let event = try #require(Self.events(out).first)
        #expect(event["detail-type"] as? String == "Scheduled Event")
        #expect(event["source"] as? String == "aws.events")
        #expect(event["resources"] as? [String] == ["arn:aws:events:local:000000000000:rule/every-second"])
        let time = try #require(event["time"] as? String)
        #expect(time.hasSuffix("Z") && time.count == 20)
        _ = try daemon?.stop()
        daemon = nil

        // Ten minutes "down": with a 5-minute schedule, two ticks were missed; one fires at start.
        // (The record says the 5-minute rule ticked last: a rule changed since starts from now.)
        try project.write("triggers/every-second.yaml", "source: schedule\nfunction: tick\nevery: 5m\n")
        let tenMinutesAgo = Int64((Date().timeIntervalSince1970 - 600) * 1_000_000)
        _ = try Self.sqlite(
            project.dataDirectory + "/flint.sqlite", "UPDATE schedule_ticks SET last_tick_at_us = \(tenMinutesAgo), rule = 'every: 5m'")
        try FileManager.default.removeItem(atPath: out)
        daemon = try RunningDaemon(project)
        try await Self.waitUntil("the missed tick", within: 20) { Self.events(out).count >= 1 }
        try await Task.sleep(for: .milliseconds(500))
        #expect(Self.events(out).count == 1)
        _ = daemon
    }

    /// The console writes one line per invocation; a stdout nobody reads (RunningDaemon reads it
    /// only at the end) fills its pipe after some 600 lines, and must not hold invocations up.
    @Test func unreadStdout_doesNotStallInvocations() async throws {
        let project = try TestProject()
        try project.addScriptFunction("noop", script: "exec cat >/dev/null\n", manifest: "concurrency: 4\n")
        try project.addQueueTrigger("noop-jobs", function: "noop", topic: "jobs")
        let daemon = try RunningDaemon(project)
        let total = 1_500
        #expect(try await Self.publish(daemon, "jobs", (0 ..< total).map { ["body": "\($0)"] }).status == 201)
        let database = project.dataDirectory + "/flint.sqlite"
        try await Self.waitUntil("every delivery done", within: 60) {
            try Self.sqlite(database, "SELECT count(*) FROM deliveries WHERE state = 'done'") == "\(total)"
        }
        // It still stops cleanly; the console lines that did not fit the pipe are given up
        // after a bounded wait.
        let stopped = try await Self.offThread { try daemon.stop(within: 20) }
        #expect(stopped.status == 0)
        #expect(stopped.stdout.hasPrefix("flint: listening on"))
    }
}
