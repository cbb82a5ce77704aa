import Foundation
import Testing

/// `flint publish`, `flint deadletters` and `flint invoke --async`, against real daemons and databases.
@Suite(.serialized) struct CLIBusTests {
    /// A project whose `recorder` function receives topic `orders` one message at a time.
    private func recorderProject() throws -> (TestProject, DeliveryRecorder) {
        let project = try TestProject()
        let recorder = try project.addRecorderFunction("recorder")
        try project.addQueueTrigger("orders", function: "recorder", topic: "orders")
        return (project, recorder)
    }

    /// A running project whose `fail` function fails every message of topic `jobs`, with no
    /// retries, and `flint deadletters ARGS` on it.
    private func failingProject(config: String? = nil) throws -> (TestProject, RunningDaemon, ([String]) throws -> FlintBinary.Output) {
        let project = try TestProject()
        if let config { try project.appendToConfig(config) }
        try project.addScriptFunction("fail", script: "echo broken >&2\nexit 3\n", manifest: "retries: 0\n")
        try project.addQueueTrigger("jobs", function: "fail", topic: "jobs")
        let daemon = try RunningDaemon(project)
        return (project, daemon, { try FlintBinary.run(["deadletters"] + $0 + ["--project", project.root]) })
    }

    private func publish(_ project: TestProject, _ arguments: [String], stdin: Data? = nil) throws -> FlintBinary.Output {
        try FlintBinary.run(["publish"] + arguments + ["--project", project.root], stdin: stdin)
    }

    private static func ids(_ output: FlintBinary.Output) -> [String] {
        output.stdout.split(separator: "\n").map(String.init)
    }

    @Test func publish_withTheDaemonDown_isDeliveredOnceFlintStarts() async throws {
        let (project, recorder) = try recorderProject()
        let first = try publish(project, ["orders", "--data", "first"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Self.ids(first).count == 1)
        #expect(UUID(uuidString: Self.ids(first).first ?? "") != nil)
        let second = try publish(project, ["orders", "--data", "-"], stdin: Data("second".utf8))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try recorder.deliveries().isEmpty)

        let daemon = try RunningDaemon(project)
        let delivered = try await recorder.waitFor(2)
        #expect(Set(delivered.map(\.body)) == ["first", "second"])
        _ = daemon
    }

    /// The first `flint publish` of a project creates its database: private from the start, not
    /// only once `flint up` has run, since handlers (and other users) must not read the messages.
    @Test func publish_onAFreshProject_createsAPrivateDatabase() throws {
        let (project, _) = try recorderProject()
        let result = try publish(project, ["orders", "--data", "secret"])
        #expect(result.status == 0, "\(result.stderr)")
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(project.dataDirectory) == 0o711)
        let files = try FileManager.default.contentsOfDirectory(atPath: project.dataDirectory).filter { $0.hasPrefix("flint.sqlite") }
        #expect(files.contains("flint.sqlite"), "\(files)")
        for file in files {
            #expect(try mode(project.dataDirectory + "/" + file) == 0o600, "\(file)")
        }
    }

    @Test func publish_whileTheDaemonRuns_isDelivered() async throws {
        let (project, recorder) = try recorderProject()
        let daemon = try RunningDaemon(project)
        let result = try publish(project, ["orders", "--data", #"{"order":1}"#])
        #expect(result.status == 0, "\(result.stderr)")
        let delivered = try await recorder.waitFor(1)
        #expect(delivered.map(\.body) == [#"{"order":1}"#])
        _ = daemon
    }

    /// The database deleted under a running daemon: the daemon says so at once, and publish
    /// refuses to make a new one that daemon would never read.
    @Test func databaseDeletedUnderTheDaemon_isSaid_andPublishRefusesANewOne() async throws {
        let (project, _) = try recorderProject()
        let daemon = try RunningDaemon(project)
        for suffix in ["", "-wal", "-shm"] { unlink(project.dataDirectory + "/flint.sqlite" + suffix) }
        let result = try publish(project, ["orders", "--data", "lost"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("flint.sqlite is gone, but Flint is running (pid \(daemon.process.processIdentifier))"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dataDirectory + "/flint.sqlite"))
        // Said when the deletion happens (its inotify event), read here once the daemon stopped.
        _ = try daemon.stop()
        #expect(daemon.standardErrorText().contains("the database \(project.dataDirectory)/flint.sqlite was deleted or moved away while Flint runs"))
    }

    /// A value that starts with a dash is the option's value, not another option.
    @Test func publish_ofValuesStartingWithADash_takesThemAsWritten() async throws {
        let (project, recorder) = try recorderProject()
        let daemon = try RunningDaemon(project)
        let result = try publish(project, ["orders", "--data", "-5 degrees", "--attr", "-k=-v", "--group", "-g"])
        #expect(result.status == 0, "\(result.stderr)")
        let delivered = try await recorder.waitFor(1)
        #expect(delivered.map(\.body) == ["-5 degrees"])
        #expect(delivered.first?.attributes == ["-k": "-v"])
        _ = daemon
    }

    @Test func publishLines_publishesEachNonBlankLineAsItsOwnMessage() async throws {
        let (project, recorder) = try recorderProject()
        let daemon = try RunningDaemon(project)
        let result = try publish(project, ["orders", "--lines"], stdin: Data("one\n\ntwo\r\n  \nthree".utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let ids = Self.ids(result)
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        let delivered = try await recorder.waitFor(3)
        #expect(delivered.map(\.body).sorted() == ["one", "three", "two"])
        _ = daemon
    }

    @Test func publish_toAnUnknownOrReservedTopic_exitsOneAndSaysWhy() throws {
        let (project, _) = try recorderProject()
        let unknown = try publish(project, ["nope", "--data", "x"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.contains(#"flint publish: unknown topic "nope" (known topics: orders)"#), "\(unknown.stderr)")
        // Refused before anything was made: Flint still "has not run" in this project.
        #expect(!FileManager.default.fileExists(atPath: project.dataDirectory + "/flint.sqlite"))
        #expect(try publish(project, ["orders", "--data", "x"]).status == 0)
        let unknownOnceMade = try publish(project, ["nope", "--data", "x"])
        #expect(unknownOnceMade.status == 1)
        #expect(unknownOnceMade.stderr.contains(#"flint publish: unknown topic "nope" (known topics: orders)"#), "\(unknownOnceMade.stderr)")

        let reserved = try publish(project, ["flint.invoke.recorder", "--data", "x"])
        #expect(reserved.status == 1)
        #expect(reserved.stderr.contains("Flint's own topics"), "\(reserved.stderr)")

        let badAttribute = try publish(project, ["orders", "--data", "x", "--attr", "color"])
        #expect(badAttribute.status == 64)
        #expect(badAttribute.stderr.contains("--attr color is not NAME=VALUE"), "\(badAttribute.stderr)")

        let noData = try publish(project, ["orders"])
        #expect(noData.status == 64)
    }

    /// A subscription receives only what is published once it exists: a message on a topic no
    /// trigger receives will never run anything, which the publisher is told.
    @Test func publish_toATopicNoTriggerReceives_isStored_andSaysItWillRunNothing() throws {
        let (project, _) = try recorderProject()
        try project.appendToConfig("topics:\n  later: {}\n")
        let unreceived = try publish(project, ["later", "--data", "x"])
        #expect(unreceived.status == 0, "\(unreceived.stderr)")
        #expect(Self.ids(unreceived).count == 1)
        #expect(unreceived.stderr == "flint publish: note: no queue trigger receives topic later, so this message will run nothing "
            + "(a trigger added later receives only messages published after it); add one in triggers/ and run flint reload\n")
        let received = try publish(project, ["orders", "--data", "x"])
        #expect(received.status == 0)
        #expect(received.stderr.isEmpty, "\(received.stderr)")

        // Run where there is no project at all: said, beside the unknown topic.
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("flint-noproject-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: nowhere, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: nowhere) }
        let outside = try FlintBinary.run(["publish", "orders", "--data", "x"], directory: nowhere)
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("(\(nowhere) has no flint.yaml: run flint publish in the project, or give --project DIR)"), "\(outside.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: nowhere).isEmpty)
    }

    @Test func publish_withADedupKeyTwice_printsTheSameIDAndDeliversOnce() async throws {
        let (project, recorder) = try recorderProject()
        let first = try publish(project, ["orders", "--data", "once", "--dedup", "order-7", "--group", "g"])
        let again = try publish(project, ["orders", "--data", "once", "--dedup", "order-7", "--group", "g"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.ids(first).count == 1)
        #expect(Self.ids(again) == Self.ids(first))
        #expect(first.stderr.isEmpty)
        #expect(again.stderr.contains("a message with dedup key order-7 was already published; its id is printed"))
        // Messages of one group are delivered in publishing order: once the sentinel is
        // delivered, every message published before it has been.
        #expect(try publish(project, ["orders", "--data", "sentinel", "--group", "g"]).status == 0)

        let daemon = try RunningDaemon(project)
        let delivered = try await recorder.waitFor(2)
        #expect(delivered.map(\.body) == ["once", "sentinel"])
        _ = daemon
    }

    @Test func publishAttributes_reachTheSQSEventsMessageAttributes() async throws {
        let (project, recorder) = try recorderProject()
        let daemon = try RunningDaemon(project)
        let result = try publish(project, ["orders", "--data", "x", "--attr", "color=red", "--attr", "query=a=b"])
        #expect(result.status == 0, "\(result.stderr)")
        let delivered = try await recorder.waitFor(1)
        #expect(delivered.first?.attributes == ["color": "red", "query": "a=b"])
        _ = daemon
    }

    @Test func publish_refusesANonJSONBodyForAJSONTopicAndBodiesOver1MiB() throws {
        let project = try TestProject()
        try project.appendToConfig("topics:\n  events: {format: json}\n")
        let notJSON = try publish(project, ["events", "--data", "not json"])
        #expect(notJSON.status == 1)
        #expect(notJSON.stderr.contains(#"flint publish: topic "events" takes JSON bodies"#), "\(notJSON.stderr)")
        let json = try publish(project, ["events", "--data", #"{"ok":true}"#])
        #expect(json.status == 0, "\(json.stderr)")
        // With --lines, the refusal names the line (blank lines counted), and nothing is published.
        let lines = try publish(project, ["events", "--lines"], stdin: Data("{\"a\":1}\n\n{oops\n[2]\n".utf8))
        #expect(lines.status == 1)
        #expect(lines.stderr.contains("flint publish: line 3: topic \"events\" takes JSON bodies"), "\(lines.stderr)")
        let binary = try publish(project, ["events", "--lines"], stdin: Data("[1]\n[2]\n".utf8) + Data([0x5B, 0xFF, 0x5D, 0x0A]))
        #expect(binary.status == 1)
        #expect(binary.stderr.contains("flint publish: line 3: the body is not UTF-8 text"), "\(binary.stderr)")

        try project.write("big.txt", String(repeating: "a", count: 1024 * 1024 + 1))
        let big = try publish(project, ["events", "--data", "@\(project.root)/big.txt"])
        #expect(big.status == 1)
        #expect(big.stderr.contains("the limit is 1048576 bytes"), "\(big.stderr)")
    }

    @Test func deadLetters_listAndReplay_deadAgainWithAttemptsReset() async throws {
        let (project, daemon, deadLetters) = try failingProject(config: "bus: {retry_base: 10ms}\n")

        let empty = try deadLetters([])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout == "no dead letters\n")
        let typo = try deadLetters(["replay", "--all", "--function", "fial"])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("no function is named fial"), "\(typo.stderr)")
        let none = try deadLetters(["replay", "--all", "--function", "fail"])
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout == "replayed 0 dead letters\n")

        let published = try publish(project, ["jobs", "--data", "doomed"])
        #expect(published.status == 0, "\(published.stderr)")
        let first = try await eventually("a dead letter") { try Self.deadLetterList(deadLetters(["--json", "--function", "fail"])).first }
        #expect(first["function"] as? String == "fail")
        #expect(first["topic"] as? String == "jobs")
        #expect(first["body"] as? String == "doomed")
        #expect(first["attempts"] as? Int == 1)
        #expect(first["message_id"] as? String == Self.ids(published).first)
        #expect(first["body_bytes"] as? Int == 6)
        #expect(first["body_truncated"] as? Bool == false)
        let id = try #require(first["id"] as? Int)

        // One dead letter, whole: as JSON, or only its body.
        let shown = try deadLetters(["show", "\(id)"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(record?["id"] as? Int == id)
        #expect(record?["body"] as? String == "doomed")
        #expect(try deadLetters(["show", "\(id)", "--body"]).stdout == "doomed")
        let unknown = try deadLetters(["show", "999999"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("999999 is not a dead letter"), "\(unknown.stderr)")

        let table = try deadLetters([])
        #expect(table.stdout.hasPrefix("ID"))
        #expect(table.stdout.contains("\(id)  "))
        #expect(table.stdout.contains("fail"))

        let replayed = try deadLetters(["replay", "\(id)"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout == "replayed 1 dead letter: \(id)\n")
        let again = try await eventually("the replayed delivery dead again") {
            try Self.deadLetterList(deadLetters(["--json"])).first { $0["last_invocation_id"] as? String != first["last_invocation_id"] as? String }
        }
        #expect(again["id"] as? Int == id)
        #expect(again["attempts"] as? Int == 1)

        let missing = try deadLetters(["replay", "\(id)", "999999"])
        #expect(missing.status == 1)
        #expect(missing.stdout == "replayed 1 dead letter: \(id)\n")
        #expect(missing.stderr.contains("999999 is not a dead letter"), "\(missing.stderr)")

        // With its trigger gone, nothing would take it again: it stays dead, and the replay says why.
        _ = try await eventually("the delivery dead a third time") {
            try Self.deadLetterList(deadLetters(["--json"])).first { $0["last_invocation_id"] as? String != again["last_invocation_id"] as? String }
        }
        try FileManager.default.removeItem(atPath: project.root + "/triggers/jobs.yaml")
        #expect(try FlintBinary.run(["reload", "--project", project.root]).status == 0)
        let retired = try deadLetters(["replay", "\(id)"])
        #expect(retired.status == 1)
        #expect(retired.stdout == "replayed 0 dead letters\n")
        #expect(retired.stderr.contains("\(id) stays dead: its trigger or function is no longer in the project"), "\(retired.stderr)")
        #expect(retired.stderr.contains("or flint deadletters discard \(id)"), "\(retired.stderr)")
        let listed = try deadLetters([]).stdout
        #expect(listed.contains("fail (not replayable)  jobs"), "\(listed)")
        #expect(try Self.deadLetterList(deadLetters(["--json"])).map { $0["id"] as? Int } == [id])
        // --all replays what it can: the one left dead is named, not a failure.
        let all = try deadLetters(["replay", "--all"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.contains("\(id) stays dead"), "\(all.stderr)")
        _ = daemon
    }

    /// One of a FIFO group goes to its group's end under a new delivery id: the replay says which.
    @Test func deadLetters_replayOfOneOfAGroup_saysItsNewID() async throws {
        let (project, daemon, deadLetters) = try failingProject()
        #expect(try publish(project, ["jobs", "--data", "in-order", "--group", "g"]).status == 0)
        let dead = try await eventually("a dead letter") { try Self.deadLetterList(deadLetters(["--json"])).first }
        let id = try #require(dead["id"] as? Int)

        let replayed = try deadLetters(["replay", "\(id)"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        let again = try await eventually("the replayed delivery dead again") {
            try Self.deadLetterList(deadLetters(["--json"])).first { $0["id"] as? Int != id }
        }
        let newID = try #require(again["id"] as? Int)
        #expect(replayed.stdout == "replayed 1 dead letter: \(id) (now \(newID), at the end of its group)\n")
        _ = daemon
    }

    @Test func deadLetters_discard_deletesThemForGood_andTheGaugeFollows() async throws {
        let (project, daemon, deadLetters) = try failingProject()
        let gauge = { () async throws -> Double? in
            let text = try await daemon.request("GET", "/metrics").text
            return ObservabilityTests.sample(text, "flint_dead_letters", ["subscription": "jobs"])
        }

        let neither = try deadLetters(["discard"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("give the ids of the dead letters to discard"), "\(neither.stderr)")
        let typo = try deadLetters(["discard", "--all", "--function", "fial"])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("no function is named fial"), "\(typo.stderr)")

        for index in 1 ... 3 {
            let published = try publish(project, ["jobs", "--data", "doomed \(index)"])
            #expect(published.status == 0, "\(published.stderr)")
        }
        let letters = try await eventually("three dead letters") {
            let list = try Self.deadLetterList(deadLetters(["--json"]))
            return list.count == 3 ? list : nil
        }
        let ids = letters.compactMap { $0["id"] as? Int }.sorted()
        try #require(ids.count == 3)
        _ = try await eventually("three dead letters on /metrics") { try await gauge() == 3 ? true : nil }

        let discarded = try deadLetters(["discard", "\(ids[0])", "999999"])
        #expect(discarded.status == 1)
        #expect(discarded.stdout == "discarded 1 dead letter: \(ids[0])\n")
        #expect(discarded.stderr.contains("999999 is not a dead letter"), "\(discarded.stderr)")
        // Gone for good: not replayed, not shown.
        let replayed = try deadLetters(["replay", "\(ids[0])"])
        #expect(replayed.status == 1)
        #expect(replayed.stdout == "replayed 0 dead letters\n")
        #expect(replayed.stderr.contains("\(ids[0]) is not a dead letter (already replayed or discarded"), "\(replayed.stderr)")
        #expect(try deadLetters(["show", "\(ids[0])"]).status == 1)

        // The API takes what replay takes, and answers in its shape.
        let refused = try await daemon.request("POST", "/v1/deadletters/discard", body: Data(#"{"ids": [\#(ids[1])], "all": true}"#.utf8), authorized: true)
        #expect(refused.status == 400, "\(refused.text)")
        let unauthorized = try await daemon.request("POST", "/v1/deadletters/discard", body: Data(#"{"all": true}"#.utf8))
        #expect(unauthorized.status == 401, "\(unauthorized.text)")
        let byAPI = try await daemon.request("POST", "/v1/deadletters/discard", body: Data(#"{"ids": [\#(ids[1]), \#(ids[0])]}"#.utf8), authorized: true)
        #expect(byAPI.status == 200, "\(byAPI.text)")
        #expect(try byAPI.json()["discarded"] as? [Int] == [ids[1]])
        #expect(try byAPI.json()["missing"] as? [Int] == [ids[0]])

        let rest = try deadLetters(["discard", "--all", "--function", "fail"])
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout == "discarded 1 dead letter: \(ids[2])\n")
        let none = try deadLetters([])
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout == "no dead letters\n")
        #expect(try await gauge() == 0)
        let again = try deadLetters(["discard", "--all"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "discarded 0 dead letters\n")
    }

    private static func deadLetterList(_ output: FlintBinary.Output) throws -> [[String: Any]] {
        guard output.status == 0 else { throw TestFailure("flint deadletters failed: \(output.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return object?["deadletters"] as? [[String: Any]] ?? []
    }

    @Test func invokeAsync_printsTheIDWhoseInvocationEndsDone() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        let result = try FlintBinary.run(["invoke", "echo", "--async", "--data", #"{"a":1}"#, "--project", project.root])
        #expect(result.status == 0, "\(result.stderr)")
        let id = result.stdout.trimmingCharacters(in: .newlines)
        #expect(UUID(uuidString: id) != nil, "\(result.stdout)")
        #expect(result.stderr.contains("queued; flint invocations / GET /v1/invocations/\(id) shows its progress"))

        let view = try await eventually("invocation \(id) done") { () async throws -> [String: Any]? in
            let reply = try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true)
            let object = try reply.json()
            return object["status"] as? String == "done" ? object : nil
        }
        #expect(view["function"] as? String == "echo")
        #expect((view["invocation"] as? [String: Any])?["outcome"] as? String == "ok")
    }
}
