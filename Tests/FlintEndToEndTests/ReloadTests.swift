import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Reloading a running daemon's functions and triggers (`flint reload`, SIGHUP) while it serves.
@Suite(.serialized) struct ReloadTests {
    /// A function answering its HTTP route with `$VERSION`, after `$PAUSE` seconds. Called again,
    /// only its function.yaml changes: rewriting the script under running invocations would
    /// leave it briefly not executable (written, then made executable), which is not what these
    /// tests are about.
    private func addVersionFunction(_ project: TestProject, name: String = "greet", version: String, pause: String = "0") throws {
        let manifest = "name: \(name)\ncommand: [\"./handler.sh\"]\nenv:\n  VERSION: \(version)\n  PAUSE: \"\(pause)\"\n"
        guard FileManager.default.fileExists(atPath: project.root + "/functions/\(name)/handler.sh") else {
            try project.addScriptFunction(name, script: """
                cat > /dev/null
                sleep "$PAUSE"
                printf '{"statusCode": 200, "body": "%s"}' "$VERSION"
                """)
            try project.write("functions/\(name)/function.yaml", manifest)
            return
        }
        try project.write("functions/\(name)/function.yaml", manifest)
    }

    private func reload(_ project: TestProject) throws -> FlintBinary.Output {
        try FlintBinary.run(["reload", "--project", project.root])
    }

    private func body(_ daemon: RunningDaemon, _ path: String) async throws -> String {
        let reply = try await daemon.request("POST", path, body: Data("{}".utf8))
        return "\(reply.status) \(reply.text)"
    }

    /// Calls `path` over and over until stopped; counts the answers that were not 200.
    private final class Caller: Sendable {
        private let state = Mutex((running: true, calls: 0, failures: [String]()))

        func start(_ daemon: RunningDaemon, _ path: String) -> Task<Void, Never> {
            Task {
                while state.withLock({ $0.running }) {
                    let outcome: String?
                    do {
                        let reply = try await daemon.request("POST", path, body: Data("{}".utf8))
                        outcome = reply.status == 200 ? nil : "\(reply.status) \(reply.text)"
                    } catch {
                        outcome = "\(error)"
                    }
                    state.withLock { state in
                        state.calls += 1
                        if let outcome { state.failures.append(outcome) }
                    }
                }
            }
        }

        func stop() -> (calls: Int, failures: [String]) {
            state.withLock { state in
                state.running = false
                return (state.calls, state.failures)
            }
        }
    }

    /// `flint reload` answers once the buckets a new trigger names exist and are watched: a file
    /// written the moment it returns fires, as one written once `flint up` says ready does.
    @Test func reloadAddingABucketTrigger_returnsOnceItsBucketIsWatched() async throws {
        let project = try TestProject()
        let recorder = try project.addObjectEventRecorder("rec")
        let daemon = try RunningDaemon(project)
        for round in 1...3 {
            let bucket = "added\(round)"
            try project.addBucketTrigger(bucket, function: "rec", bucket: bucket)
            #expect(try reload(project).status == 0)
            try writeObject(project.bucketPath(bucket) + "/first.txt", Data("x".utf8))
            try await recorder.waitUntil("the event of \(bucket)/first.txt") { $0.contains { $0.bucket == bucket } }
        }
        _ = daemon
    }

    /// A new trigger's bucket that cannot be watched (here a symbolic link, which Flint never
    /// follows) is said in the reload's answer, as `flint up` lists it NOT WATCHED.
    @Test func reloadAddingATriggerOnABucketThatCannotBeWatched_warnsOfIt() async throws {
        let project = try TestProject()
        _ = try project.addObjectEventRecorder("rec")
        let daemon = try RunningDaemon(project)
        try FileManager.default.createDirectory(atPath: project.root + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project.root + "/buckets", withIntermediateDirectories: true)
        #expect(symlink(project.root + "/elsewhere", project.bucketPath("linked")) == 0)
        try project.addBucketTrigger("linked", function: "rec", bucket: "linked")
        let reloaded = try reload(project)
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stderr.contains("warning: bucket linked is not watched, so its triggers will not fire; the daemon's log says why"), "\(reloaded.stderr)")
        _ = daemon
    }

    /// A queue trigger renamed under waiting messages: they are not the new trigger's (a
    /// subscription is its trigger's name), so the reload says they wait, rather than nothing.
    @Test func renamingAQueueTriggerWithMessagesWaiting_isWarnedOf() async throws {
        let project = try TestProject()
        try project.appendToConfig("drain_timeout: 1s\n")
        try project.addScriptFunction("slow", script: "cat > /dev/null\nsleep 20\n", manifest: "concurrency: 1\n")
        try project.addQueueTrigger("conc", function: "slow", topic: "tc")
        let daemon = try RunningDaemon(project)
        let database = project.dataDirectory + "/flint.sqlite"
        let published = try FlintBinary.run(["publish", "tc", "--lines", "--data", "a\nb\nc\nd", "--project", project.root])
        #expect(published.status == 0, "\(published.stderr)")
        try await BusEndToEndTests.waitUntil("one message running, three waiting", within: 10) {
            try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM deliveries WHERE subscription = 'conc' AND state = 'ready'") == "3"
        }
        try FileManager.default.moveItem(atPath: project.root + "/triggers/conc.yaml", toPath: project.root + "/triggers/conc-queue.yaml")
        let reloaded = try reload(project)
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stdout.contains("trigger conc removed, trigger conc-queue added"), "\(reloaded.stdout)")
        #expect(reloaded.stderr.contains(
            "warning: 3 message(s) wait for queue trigger conc, which the project no longer has: they stay in the database, and are delivered once it is back under that name (restore it, then flint reload); to drop them instead: DELETE FROM deliveries WHERE subscription = 'conc' AND state = 'ready' (docs/operations.md)"
        ), "\(reloaded.stderr)")
        _ = daemon
    }

    /// GetFunction's `LastModified` is when that function's definition changed, not the last reload.
    @Test func lastModified_movesOnlyForTheFunctionsAReloadChanged() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "v1")
        try addVersionFunction(project, name: "steady", version: "s1")
        let daemon = try RunningDaemon(project)
        func lastModified(_ name: String) async throws -> String? {
            try await daemon.request("GET", "/2015-03-31/functions/\(name)").json()["Configuration"].flatMap { ($0 as? [String: Any])?["LastModified"] as? String }
        }
        let steadyBefore = try #require(try await lastModified("steady"))
        let greetBefore = try #require(try await lastModified("greet"))
        try await Task.sleep(for: .milliseconds(20))  // LastModified has milliseconds
        try addVersionFunction(project, version: "v2")
        #expect(try reload(project).status == 0)
        #expect(try await lastModified("steady") == steadyBefore)
        #expect(try await lastModified("greet") != greetBefore)
    }

    /// While flint.yaml itself does not load, the commands still reach the daemon (in the
    /// default data directory): reload hears its refusal, the others work, with a note.
    @Test func flintYamlThatDoesNotLoad_stillLetsTheCommandsReachTheDaemon() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "v1")
        let daemon = try RunningDaemon(project)
        let config = try String(contentsOfFile: project.root + "/flint.yaml", encoding: .utf8)
        try project.write("flint.yaml", config + "topics: {\n")

        let refused = try reload(project)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("flint.yaml does not load, so this goes to the daemon whose files are in \(project.dataDirectory)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("reload refused; Flint goes on with the configuration it had."), "\(refused.stderr)")
        let listed = try FlintBinary.run(["ls", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("greet"))
        _ = daemon
    }

    @Test func badEdit_isRefusedWhileServingGoesOn_thenTheFixIsApplied() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "v1")
        try project.addRoute("greet", function: "greet", method: "POST", path: "/greet")
        let daemon = try RunningDaemon(project)
        let caller = Caller()
        let calling = caller.start(daemon, "/greet")

        try project.write("functions/greet/function.yaml", "name: greet\ncommand: [\"./handler.sh\"]\ntimeout: banana\n")
        let refused = try reload(project)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("reload refused; Flint goes on with the configuration it had. 1 problem(s):"), "\(refused.stderr)")
        #expect(refused.stderr.contains("functions/greet/function.yaml:3: timeout:"), "\(refused.stderr)")
        #expect(try await body(daemon, "/greet") == "200 v1")

        try addVersionFunction(project, version: "v2")
        let applied = try reload(project)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout == "reloaded: function greet changed\n")
        #expect(try await body(daemon, "/greet") == "200 v2")
        let unchanged = try reload(project)
        #expect(unchanged.stdout == "reloaded: no function.yaml, trigger or topic changed; warm instances start again from the current files\n")
        try project.appendToConfig("topics:\n  audit: {format: json}\n")
        let topic = try reload(project)
        #expect(topic.stdout == "reloaded: topic audit added\n", "\(topic.stderr)")

        // A new route, through SIGHUP this time.
        try addVersionFunction(project, name: "other", version: "o1")
        try project.addRoute("other", function: "other", method: "POST", path: "/other")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = try await eventually("the route a reload added") { try await body(daemon, "/other") == "200 o1" ? true : nil }

        let (calls, failures) = caller.stop()
        await calling.value
        #expect(calls > 0)
        #expect(failures.isEmpty, "\(failures.count) of \(calls) calls failed while reloading: \(failures.prefix(3))")

        let (status, printed) = try daemon.stop()
        #expect(status == 0)
        #expect(printed.contains("flint: reload refused; still running the previous configuration. 1 problem(s):"))
        #expect(printed.contains("flint: reloaded: function other added, trigger other added"))
        #expect(printed.contains("  trigger other  http POST /other (auth: none)  -> other"))
    }

    @Test func invocationRunningAtTheReload_finishesUnderTheOldConfiguration() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "old", pause: "1")
        try project.addRoute("greet", function: "greet", method: "POST", path: "/greet")
        let daemon = try RunningDaemon(project)

        let running = Task { try await body(daemon, "/greet") }
        _ = try await eventually("the handler to start") {
            try await daemon.request("GET", "/v1/functions", authorized: true).json()["functions"]
                .flatMap { ($0 as? [[String: Any]])?.first?["running"] as? Int } == 1 ? true : nil
        }
        try addVersionFunction(project, version: "new")
        #expect(try reload(project).status == 0)
        #expect(try await body(daemon, "/greet") == "200 new")
        #expect(try await running.value == "200 old")
    }

    @Test func queueTriggerAddedByAReload_getsItsMessages() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "v1")
        let daemon = try RunningDaemon(project)
        try project.addQueueTrigger("jobs", function: "greet", topic: "jobs")
        let applied = try reload(project)
        #expect(applied.stdout == "reloaded: trigger jobs added\n", "\(applied.stderr)")

        #expect(try FlintBinary.run(["publish", "jobs", "--data", "hello", "--project", project.root]).status == 0)
        let outcome = try await eventually("an invocation from the queue") {
            let listed = try await daemon.request("GET", "/v1/invocations?function=greet", authorized: true).json()
            return (listed["invocations"] as? [[String: Any]])?.first { $0["trigger"] as? String == "jobs" }?["outcome"] as? String
        }
        #expect(outcome == "ok")
    }

    /// A reload can fail after the new files were checked: here the subscriptions cannot be
    /// written while another program holds the database's write lock. The running configuration
    /// must stay whole, including the concurrency slots of a function the edit changed (they
    /// were handed to the new configuration's dispatcher, which never ran, and its messages
    /// waited for ever).
    @Test func reloadRefusedByALockedDatabase_leavesTheChangedFunctionTakingItsMessages() async throws {
        let project = try TestProject()
        try addVersionFunction(project, version: "v1")
        try project.addQueueTrigger("jobs", function: "greet", topic: "jobs")
        let daemon = try RunningDaemon(project)
        try project.write("functions/greet/function.yaml", "name: greet\ncommand: [\"./handler.sh\"]\nconcurrency: 3\nenv:\n  VERSION: v2\n  PAUSE: \"0\"\n")

        // Holds the write lock past the daemon's busy timeout (10 s), until its stdin closes.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        locker.arguments = ["-c", """
            import sqlite3, sys
            con = sqlite3.connect(sys.argv[1], isolation_level=None)
            con.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.read()
            """, project.root + "/.flint/flint.sqlite"]
        let lockerInput = Pipe(), lockerOutput = Pipe()
        locker.standardInput = lockerInput
        locker.standardOutput = lockerOutput
        try locker.run()
        defer { locker.terminate() }
        var announced = Data()
        while !announced.contains(UInt8(ascii: "\n")) {
            let chunk = lockerOutput.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            announced += chunk
        }
        try #require(String(decoding: announced, as: UTF8.self) == "locked\n", "the lock holder did not start")

        let refused = try reload(project)
        try lockerInput.fileHandleForWriting.close()
        locker.waitUntilExit()
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("reload refused; Flint goes on with the configuration it had."), "\(refused.stderr)")
        #expect(refused.stderr.contains("locked"), "\(refused.stderr)")

        #expect(try FlintBinary.run(["publish", "jobs", "--data", "hello", "--project", project.root]).status == 0)
        let outcome = try await eventually("an invocation from the queue after the refused reload") {
            let listed = try await daemon.request("GET", "/v1/invocations?function=greet", authorized: true).json()
            return (listed["invocations"] as? [[String: Any]])?.first { $0["trigger"] as? String == "jobs" }?["outcome"] as? String
        }
        #expect(outcome == "ok")
    }

    @Test func reload_retiresWarmInstances_soTheNextInvocationStartsANewOne() async throws {
        let project = try TestProject()
        #expect(try FlintBinary.run(["init", "warm", "--runtime", "lambda", "--project", project.root]).status == 0)
        let daemon = try RunningDaemon(project)
        func coldStarts() async throws -> [Bool] {
            let listed = try await daemon.request("GET", "/v1/invocations?function=warm", authorized: true).json()
            return ((listed["invocations"] as? [[String: Any]]) ?? []).compactMap { $0["cold_start"] as? Bool }
        }
        for _ in 0 ..< 2 { #expect(try await body(daemon, "/warm").hasPrefix("200 ")) }
        #expect(try reload(project).status == 0)
        #expect(try await body(daemon, "/warm").hasPrefix("200 "))
        // Newest first: the one after the reload started a new instance; before it, warm then cold.
        #expect(try await coldStarts() == [true, false, true])
    }
}
