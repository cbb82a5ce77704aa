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
        try await daemon.waitUntilAHandlerRuns("the slow handler")
        let stopped = try daemon.stop(signal: SIGTERM)
        #expect(try await reply.text == "{\"done\":true}\n")
        #expect(stopped.status == 0)
        #expect(stopped.stdout.contains("slow"))
        #expect(stopped.stdout.contains("flint: stopped"))
        // Flint's own "listening on" line, not the HTTP server's besides.
        let log = daemon.standardErrorText()
        #expect(!log.contains("Server started"), "\(log)")
    }

    @Test func sigterm_pastTheDrainTimeout_killsWhatStillRuns_andItsMessageGoesBackToTheBus() async throws {
        let project = try TestProject()
        try project.appendToConfig("drain_timeout: 1s\n")
        try project.addScriptFunction("stuck", script: "cat > /dev/null\nsleep 60\n", manifest: "timeout: 120s\nretries: 0\n")
        try project.addQueueTrigger("stuck-queue", function: "stuck", topic: "jobs")
        let daemon = try RunningDaemon(project)
        let published = try FlintBinary.run(["publish", "jobs", "--data", "x", "--project", project.root])
        #expect(published.status == 0, "\(published.stderr)")
        try await daemon.waitUntilAHandlerRuns("the stuck handler")

        let started = Date()
        let stopped = try daemon.stop(signal: SIGTERM, within: 20)
        #expect(stopped.status == 0)
        #expect(Date().timeIntervalSince(started) < 15, "the drain waited for the 60 s handler")
        #expect(stopped.stdout.contains("flint: stopping: waiting up to 1s (drain_timeout) for 1 running invocation to finish"), "\(stopped.stdout)")
        #expect(stopped.stdout.contains("1 invocation(s) still running 1s after the stop (drain_timeout 1s); killing them"), "\(stopped.stdout)")

        // Not a failure: back to ready (retries: 0 would otherwise have made it dead), for the next start.
        let database = project.root + "/.flint/flint.sqlite"
        let state = try Subprocess.run("/usr/bin/python3", ["-c", """
            import sqlite3, sys
            con = sqlite3.connect(sys.argv[1])
            print(con.execute("SELECT state FROM deliveries WHERE subscription NOT LIKE 'flint.%'").fetchall(),
                  con.execute("SELECT outcome FROM invocations WHERE function = 'stuck'").fetchall())
            """, database], timeout: 30)
        #expect(state.stdout == "[('ready',)] [('killed',)]\n", "\(state.stdout) \(state.stderr)")
    }

    /// Once the stop begins, nothing more starts from the bus: a synchronous call still running
    /// frees its slot while the listener waits for it, and that slot must not start what waits,
    /// not even after a reload asked for meanwhile.
    @Test func sigterm_startsNothingMoreFromTheBus_whileSynchronousCallsFinish() async throws {
        let project = try TestProject()
        try project.addScriptFunction("worker", script: "cat > /dev/null\nsleep 1\necho '{\"done\":true}'\n", manifest: "concurrency: 1\n")
        try project.addRoute("worker", function: "worker", method: "POST", path: "/work")
        try project.addQueueTrigger("worker-queue", function: "worker", topic: "jobs")
        let daemon = try RunningDaemon(project)
        async let reply = daemon.request("POST", "/work", body: Data("{}".utf8))
        try await daemon.waitUntilAHandlerRuns("the synchronous call")
        for n in 1 ... 3 {
            let published = try FlintBinary.run(["publish", "jobs", "--data", "m\(n)", "--project", project.root])
            #expect(published.status == 0, "\(published.stderr)")
        }
        kill(daemon.process.processIdentifier, SIGTERM)
        // A reload asked for during the stop (SIGHUP from configuration management, say) must not
        // bring back a consumer that claims.
        try await Task.sleep(for: .milliseconds(100))
        let stopped = try daemon.stop(signal: SIGHUP, within: 20)
        #expect(stopped.status == 0)
        #expect(try await reply.text == "{\"done\":true}\n")

        let state = try Subprocess.run("/usr/bin/python3", ["-c", """
            import sqlite3, sys
            con = sqlite3.connect(sys.argv[1])
            print(con.execute("SELECT count(*) FROM invocations WHERE function = 'worker'").fetchone()[0],
                  con.execute("SELECT count(*) FROM messages WHERE topic = 'jobs'").fetchone()[0],
                  con.execute("SELECT count(*) FROM deliveries WHERE subscription = 'worker-queue' AND state != 'ready'").fetchone()[0])
            """, project.root + "/.flint/flint.sqlite"], timeout: 30)
        // Only the synchronous call ran; the three messages wait, untouched, for the next start.
        #expect(state.stdout == "1 3 0\n", "\(state.stdout) \(state.stderr)")
    }

    /// Where a daemon started by these tests puts its cgroups on cgroup v1: `flint/` under this
    /// process's own memory cgroup (which the daemon inherits); nil without a writable one.
    static let flintMemoryCgroups: String? = {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
            let line = membership.split(separator: "\n").first(where: { $0.split(separator: ":").dropFirst().first == "memory" }),
            let path = line.split(separator: ":", maxSplits: 2).last
        else { return nil }
        let own = "/sys/fs/cgroup/memory" + (path == "/" ? "" : String(path))
        return getuid() == 0 && FileManager.default.isWritableFile(atPath: own) ? own + "/flint" : nil
    }()

    @Test(.enabled(if: flintMemoryCgroups != nil, "needs a writable cgroup v1 memory hierarchy (Flint's cgroups there)"))
    func sigterm_removesTheDaemonsCgroups_keptAndStandbyOnesIncluded() async throws {
        let base = try #require(Self.flintMemoryCgroups)
        let project = try TestProject()
        try project.addScriptFunction("plain", script: "cat > /dev/null\necho '{}'\n")
        try project.addRoute("plain", function: "plain", method: "POST", path: "/plain")
        // A warm-instance function: it has a standby thread in a cgroup of its own from the start.
        #expect(try FlintBinary.run(["init", "warm", "--runtime", "lambda", "--trigger", "none", "--project", project.root]).status == 0)
        let daemon = try RunningDaemon(project)
        // An exec invocation leaves its cgroup kept for the next.
        #expect(try await daemon.request("POST", "/plain", body: Data("{}".utf8)).status == 200)
        let own = "\(daemon.process.processIdentifier)-"
        let parents = { (try? FileManager.default.contentsOfDirectory(atPath: base))?.filter { $0.hasPrefix(own) } ?? [] }
        #expect(!parents().isEmpty, "the daemon's cgroups are under \(base)")

        #expect(try daemon.stop(signal: SIGTERM).status == 0)
        #expect(parents().isEmpty, "left behind: \(parents())")
    }

    @Test func readerOfStdoutGoingAway_doesNotTakeTheDaemonDown() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        try daemon.closeStandardOutput()
        for attempt in 0 ..< 3 {
            let result = try FlintBinary.run(["invoke", "echo", "--data", "[\(attempt)]", "--project", project.root])
            #expect(result.stdout == "[\(attempt)]\n", "\(result.stderr)")
        }
        #expect(daemon.process.isRunning)
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

@Suite struct StartupRefusalTests {
    @Test func secondDaemonOnTheSameProject_isRefused() throws {
        let project = try TestProject()
        let first = try RunningDaemon(project)
        let second = try FlintBinary.run(["up", "--project", project.root], timeout: 30)
        #expect(second.status != 0)
        #expect(second.stderr.contains("already running for this project (pid \(first.process.processIdentifier)"))
        // The refused start left the running daemon's files alone.
        #expect(FileManager.default.fileExists(atPath: project.dataDirectory + "/daemon.json"))
    }

    /// `daemon.json` is written once the daemon serves, after its start-up scan: a second
    /// `flint up` before then used to empty the first one's directories and remove its files.
    @Test func secondDaemonWhileTheFirstHasNoDaemonJSONYet_isRefused_andLeavesItAlone() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        try project.addRoute("echo", function: "echo", method: "POST", path: "/echo")
        let first = try RunningDaemon(project)
        let info = project.dataDirectory + "/daemon.json"
        let saved = try Data(contentsOf: URL(fileURLWithPath: info))
        try FileManager.default.removeItem(atPath: info)

        let second = try FlintBinary.run(["up", "--project", project.root, "--listen", "127.0.0.1:0"], timeout: 30)
        #expect(second.status != 0)
        #expect(second.stderr.contains("Flint is already running for this project (still starting, or unable to write \(info))"), "\(second.stderr)")

        // A daemon.json a killed daemon left (one that could not write its own, on a full disk):
        // the refusal does not name its dead pid, which may be another program's by now.
        let gone = try Subprocess.run("/bin/sh", ["-c", "echo $$"], timeout: 10)
        let stale = String(decoding: saved, as: UTF8.self).replacingOccurrences(
            of: #""pid" : \#(first.process.processIdentifier)"#, with: #""pid" : \#(gone.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"#)
        #expect(stale != String(decoding: saved, as: UTF8.self), "the test's daemon.json names the daemon's pid")
        try Data(stale.utf8).write(to: URL(fileURLWithPath: info))
        let third = try FlintBinary.run(["up", "--project", project.root, "--listen", "127.0.0.1:0"], timeout: 30)
        #expect(third.status != 0)
        #expect(third.stderr.contains("(still starting, or unable to write"), "\(third.stderr)")
        try saved.write(to: URL(fileURLWithPath: info))
        let reply = try await first.request("POST", "/echo", body: Data("still here".utf8))
        #expect(reply.status == 200, "\(reply.text)")
    }

    @Test func dataDirectoryThatIsAFile_isRefusedInPlainWords() throws {
        let project = try TestProject()
        try project.write("dfile", "not a directory\n")
        try project.appendToConfig("data: dfile\n")
        let result = try FlintBinary.run(["up", "--project", project.root, "--listen", "127.0.0.1:0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot use the data directory \(project.root)/dfile: \(project.root)/dfile is a file, not a directory"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr)")
    }

    @Test func addressInUse_saysSoAndHowToPickAnother() throws {
        let busy = try RunningDaemon(try TestProject())
        let port = try #require(busy.url.port)
        let other = try TestProject()
        let result = try FlintBinary.run(["up", "--project", other.root, "--listen", "127.0.0.1:\(port)"], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(port): the address is already in use"))
    }

    @Test func staleDaemonJSON_fromAKilledDaemon_doesNotBlockAStart() async throws {
        let project = try TestProject()
        let killed = try RunningDaemon(project)
        _ = try killed.stop(signal: SIGKILL)
        #expect(FileManager.default.fileExists(atPath: project.dataDirectory + "/daemon.json"))
        let restarted = try RunningDaemon(project)
        #expect(try await restarted.request("GET", "/healthz").status == 200)
    }

    /// The commands that talk to the daemon do not send the admin token to a killed daemon's
    /// port, which another program may hold by now: they say the daemon has ended.
    @Test func staleDaemonJSON_fromAKilledDaemon_isNotContacted() throws {
        let project = try TestProject()
        let killed = try RunningDaemon(project)
        let pid = killed.process.processIdentifier
        // The daemon's lock decides, not its pid, which means nothing in another pid namespace
        // (a daemon in a container): a pid that is gone is still that daemon while it holds it.
        let info = project.dataDirectory + "/daemon.json"
        let saved = try String(contentsOfFile: info, encoding: .utf8)
        let gone = try Subprocess.run("/bin/sh", ["-c", "echo $$"], timeout: 10).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rewritten = saved.replacingOccurrences(of: #""pid" : \#(pid)"#, with: #""pid" : \#(gone)"#)
        #expect(rewritten != saved, "the test's daemon.json names the daemon's pid")
        try rewritten.write(toFile: info, atomically: true, encoding: .utf8)
        let listed = try FlintBinary.run(["ls", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        try saved.write(toFile: info, atomically: true, encoding: .utf8)
        _ = try killed.stop(signal: SIGKILL)
        for command in [["ls"], ["invocations"], ["reload"]] {
            let result = try FlintBinary.run(command + ["--project", project.root])
            #expect(result.status == 1, "\(command)")
            #expect(
                result.stderr.contains("Flint is not running for \(project.root): \(project.dataDirectory)/daemon.json was left by a daemon that has ended (pid \(pid)"),
                "\(command): \(result.stderr)")
        }
        let mistyped = try FlintBinary.run(["ls", "--project", project.root + "/nope"])
        #expect(mistyped.status == 1)
        #expect(mistyped.stderr.contains("project directory \(project.root)/nope does not exist"), "\(mistyped.stderr)")
    }
}
