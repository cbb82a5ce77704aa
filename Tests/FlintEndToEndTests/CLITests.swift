import Foundation
import Testing

@Suite(.serialized) struct CLITests {
    @Test func invoke_printsTheHandlersOutput() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        let result = try FlintBinary.run(["invoke", "echo", "--data", #"{"a":1}"#, "--project", project.root])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "{\"a\":1}\n")
        _ = daemon
    }

    @Test func invoke_ofAFailingFunctionExitsNonZero() async throws {
        let project = try TestProject()
        try project.addScriptFunction("fail", script: "echo broken >&2\nexit 2\n")
        let daemon = try RunningDaemon(project)
        let result = try FlintBinary.run(["invoke", "fail", "--log", "--project", project.root])
        #expect(result.status != 0)
        #expect(result.stderr.contains("broken"))
        #expect(result.stderr.contains("the function failed"))
        let missing = try FlintBinary.run(["invoke", "nope", "--project", project.root])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Function not found"))
        #expect(missing.stderr.contains("flint ls lists the functions"))
        let typo = try FlintBinary.run(["invoke", "fial", "--project", project.root])
        #expect(typo.stderr.contains("(did you mean fail? flint ls lists the functions)"), "\(typo.stderr)")
        // Made since the daemon started: it needs a reload, which is said.
        try project.addScriptFunction("later", script: "exec cat\n")
        let unloaded = try FlintBinary.run(["invoke", "later", "--project", project.root])
        #expect(unloaded.status == 1)
        #expect(unloaded.stderr.contains("(\(project.root)/functions/later has it, but the running Flint has not loaded it: run flint reload)"), "\(unloaded.stderr)")
        _ = daemon
    }

    @Test func invoke_ofAnEventOverTheLimit_saysSo_insteadOfHanging() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        // The daemon answers 413 before reading it all; the CLI must read that answer rather than
        // block writing the rest.
        let big = project.root + "/big.json"
        try Data(("{\"a\":\"" + String(repeating: "x", count: 7_000_000) + "\"}").utf8).write(to: URL(fileURLWithPath: big))
        let result = try FlintBinary.run(["invoke", "echo", "--data", "@" + big, "--project", project.root], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Request must be smaller than 6291456 bytes"), "\(result.stderr)")
        let queued = try FlintBinary.run(["invoke", "echo", "--async", "--data", "@" + big, "--project", project.root], timeout: 30)
        #expect(queued.status == 1)
        #expect(queued.stderr.contains("Request must be smaller than 1048576 bytes for an asynchronous InvokeFunction"), "\(queued.stderr)")
        _ = daemon
    }

    @Test func invocationsJSON_showsBilledMillisPeakRSSAndCPU() async throws {
        let project = try TestProject()
        try project.addScriptFunction("work", script: "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo '{}'\n")
        let daemon = try RunningDaemon(project)
        for _ in 0 ..< 2 {
            #expect(try FlintBinary.run(["invoke", "work", "--project", project.root]).status == 0)
        }
        let listed = try FlintBinary.run(["invocations", "--json", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        let invocations = try #require(object?["invocations"] as? [[String: Any]])
        #expect(invocations.count == 2)
        for invocation in invocations {
            #expect(invocation["outcome"] as? String == "ok")
            #expect((invocation["billed_ms"] as? Int ?? 0) >= 1)
            #expect((invocation["peak_rss_bytes"] as? Int ?? 0) > 0)
            #expect((invocation["user_cpu_us"] as? Int ?? 0) + (invocation["system_cpu_us"] as? Int ?? 0) > 0)
            #expect(invocation["memory_limit_mb"] as? Int == 256)
        }
        let table = try FlintBinary.run(["invocations", "--project", project.root])
        #expect(table.stdout.hasPrefix("ID"))
        _ = daemon
    }

    @Test func logs_printEachLineWithItsInvocationID() async throws {
        let project = try TestProject()
        try project.addScriptFunction("talk", script: "echo \"hello from $FLINT_INVOCATION_ID\" >&2\necho '{}'\n")
        let daemon = try RunningDaemon(project)
        #expect(try FlintBinary.run(["invoke", "talk", "--project", project.root]).status == 0)
        let logs = try FlintBinary.run(["logs", "talk", "--project", project.root])
        #expect(logs.status == 0, "\(logs.stderr)")
        // TIME  ID  TEXT, the time being the invocation's start for a stored log.
        let line = try #require(logs.stdout.split(separator: "\n").first)
        let parts = line.components(separatedBy: "  ")
        #expect(parts.count == 3)
        #expect(parts[0].hasSuffix("Z"))
        #expect(parts.dropFirst().joined(separator: "  ") == "\(parts[1])  hello from \(parts[1])")
        _ = daemon
    }

    @Test func ls_listsFunctions() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n", manifest: "concurrency: 3\n")
        let daemon = try RunningDaemon(project)
        let listed = try FlintBinary.run(["ls", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("echo"))
        #expect(listed.stdout.contains("0/3"))
        #expect(listed.stdout.contains("  30s  "), "the timeout as durations are written: \(listed.stdout)")
        // A mistyped function name in a filter is said to be one, not shown as an empty list.
        for command in [["invocations"], ["deadletters"], ["usage"]] {
            let typo = try FlintBinary.run(command + ["--function", "ehco", "--project", project.root])
            #expect(typo.status == 1, "\(command): \(typo.stdout)")
            #expect(typo.stderr.contains("no function is named ehco"), "\(command): \(typo.stderr)")
        }
        for command in [["invocations"], ["usage"]] {
            let known = try FlintBinary.run(command + ["--function", "echo", "--project", project.root])
            #expect(known.status == 0, "\(command): \(known.stderr)")
        }
        _ = daemon
    }

    @Test func aDaemonNamedByFlintURL_withoutAToken_saysWhereTheTokenIs() async throws {
        let project = try TestProject()
        let daemon = try RunningDaemon(project)
        let elsewhere = try TestProject()
        let result = try FlintBinary.run(["ls", "--project", elsewhere.root], environment: ["FLINT_URL": daemon.url.absoluteString])
        #expect(result.status == 1)
        #expect(result.stderr.contains("this command found none"), "\(result.stderr)")
        #expect(result.stderr.contains("FLINT_TOKEN"))
    }

    @Test func aWrongFlintToken_isSaidToBeFlintTokens() async throws {
        let project = try TestProject()
        let daemon = try RunningDaemon(project)
        let result = try FlintBinary.run(["ls", "--project", project.root], environment: ["FLINT_TOKEN": "not-the-token"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("it does not take the token in FLINT_TOKEN"), "\(result.stderr)")
        _ = daemon
    }

    @Test func mistakesMadeBeforeAnythingRuns_areRefusedWithWhatToDo() throws {
        let project = try TestProject()
        for leading in [["--project", project.root], ["--project=\(project.root)"]] {
            let validated = try FlintBinary.run(leading + ["validate"])
            #expect(validated.status == 0, "--project before the command: \(validated.stderr)")
        }
        let typo = try FlintBinary.run(["invok", "echo", "--project", project.root])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains(#"flint has no command "invok"; did you mean invoke?"#), "\(typo.stderr)")
        let limit = try FlintBinary.run(["invocations", "--limit", "0", "--project", project.root])
        #expect(limit.status == 64)
        #expect(limit.stderr.contains("--limit must be from 1 to 1000, not 0"), "\(limit.stderr)")
        // A value that starts with a dash is the value, explained, not a "missing value".
        let negative = try FlintBinary.run(["invocations", "--limit", "-1", "--project", project.root])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--limit must be from 1 to 1000, not -1"), "\(negative.stderr)")
        let since = try FlintBinary.run(["usage", "--since", "-1h", "--project", project.root])
        #expect(since.status == 64)
        #expect(since.stderr.contains(#"--since "-1h" is neither a duration back from now"#), "\(since.stderr)")
        let level = try FlintBinary.run(["up", "--project", project.root], environment: ["FLINT_LOG_LEVEL": "verbose"])
        #expect(level.status == 64)
        #expect(level.stderr.contains("FLINT_LOG_LEVEL=verbose is not a log level; use one of trace, debug, info"), "\(level.stderr)")
        let host = try FlintBinary.run(["up", "--listen", "no-such-host.invalid:0", "--project", project.root])
        #expect(host.status == 1)
        #expect(host.stderr.contains("the host name does not resolve"), "\(host.stderr)")
        // Among the other problems, at its line: not only once everything else is right.
        try project.write("flint.yaml", "concurrency: 0\nuser: no-such-user-here\n")
        let user = try FlintBinary.run(["validate", "--project", project.root])
        #expect(user.status == 1)
        #expect(user.stderr.contains(#"flint.yaml:2: user: there is no user "no-such-user-here" on this machine"#), "\(user.stderr)")
        #expect(user.stderr.contains("flint.yaml:1: concurrency:"), "\(user.stderr)")
        #expect(user.stderr.contains("2 problems in"), "\(user.stderr)")
        let up = try FlintBinary.run(["up", "--project", project.root])
        #expect(up.status == 1)
        #expect(up.stderr.contains(#"flint.yaml:2: user: there is no user "no-such-user-here""#), "\(up.stderr)")
    }

    /// A start that fails says so in one line beginning `flint up: `, whichever part of Flint
    /// refused (here the database, which is a directory).
    @Test func up_thatCannotOpenItsDatabase_saysSoInOneLine() throws {
        let project = try TestProject()
        try FileManager.default.createDirectory(atPath: project.root + "/.flint/flint.sqlite", withIntermediateDirectories: true)
        let up = try FlintBinary.run(["up", "--project", project.root, "--listen", "127.0.0.1:0"], timeout: 30)
        #expect(up.status == 1)
        let lines = up.stderr.split(separator: "\n").filter { !$0.contains("note:") }
        #expect(lines.count == 1 && lines[0].hasPrefix("flint up: \(project.root)/.flint/flint.sqlite: cannot be opened"), "\(up.stderr)")
    }

    /// What `flint up` refuses though every file is valid, validate refuses too: it says ok only
    /// for a project that starts.
    @Test func validate_refusesWhatUpWouldRefuseOnThisMachine() throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        try project.addRoute("open", function: "echo", method: "POST", path: "/open", auth: "none")
        try project.write("flint.yaml", "listen: 0.0.0.0:0\n")
        let open = try FlintBinary.run(["validate", "--project", project.root])
        #expect(open.status == 1)
        #expect(open.stderr.contains("refusing to listen on 0.0.0.0:0: it is not a loopback address and these triggers have auth: none: open"), "\(open.stderr)")
        #expect(open.stderr.contains("1 problem in \(project.root) that flint up would refuse on this machine"), "\(open.stderr)")

        // A buckets root that is a link to nothing: flint up refuses an output bucket under it,
        // and starts with a watched one NOT WATCHED, which validate notes.
        try project.write("flint.yaml", "listen: 127.0.0.1:0\n")
        try FileManager.default.createSymbolicLink(atPath: project.root + "/buckets", withDestinationPath: project.root + "/gone")
        let unnamed = try FlintBinary.run(["validate", "--project", project.root])
        #expect(unnamed.status == 0 && unnamed.stderr.isEmpty, "no bucket named: nothing to make; \(unnamed.stderr)")
        try project.addBucketTrigger("uploads", function: "echo", bucket: "uploads")
        let watched = try FlintBinary.run(["validate", "--project", project.root])
        #expect(watched.status == 0)
        #expect(watched.stderr.contains("note: the buckets root \(project.root)/buckets cannot be made: \(project.root)/buckets is a symbolic link to nothing"), "\(watched.stderr)")
        try project.addScriptFunction("echo", script: "exec cat\n", manifest: "output: out\n")
        let dangling = try FlintBinary.run(["validate", "--project", project.root])
        #expect(dangling.status == 1)
        #expect(dangling.stderr.contains("the buckets root \(project.root)/buckets cannot be made: \(project.root)/buckets is a symbolic link to nothing (its target is missing)"), "\(dangling.stderr)")
        try FileManager.default.removeItem(atPath: project.root + "/buckets")
        try project.write("buckets", "a file")
        let file = try FlintBinary.run(["validate", "--project", project.root])
        #expect(file.status == 1)
        #expect(file.stderr.contains("\(project.root)/buckets is a file, not a directory"), "\(file.stderr)")
        // A directory on the way to the root, as flint up makes it.
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nbuckets: buckets/store\n")
        let onTheWay = try FlintBinary.run(["validate", "--project", project.root])
        #expect(onTheWay.status == 1)
        #expect(onTheWay.stderr.contains("the buckets root \(project.root)/buckets/store cannot be made: \(project.root)/buckets is a file"), "\(onTheWay.stderr)")
        try project.write("flint.yaml", "listen: 127.0.0.1:0\n")
        try FileManager.default.removeItem(atPath: project.root + "/buckets")
        try FileManager.default.removeItem(atPath: project.root + "/triggers/uploads.yaml")
        try project.addScriptFunction("echo", script: "exec cat\n")

        guard getuid() == 0 else { return }  // only root runs handlers as another user, who must reach the function
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nuser: nobody\n")
        #expect(chmod(project.root + "/functions/echo", 0o700) == 0)
        let unreadable = try FlintBinary.run(["validate", "--project", project.root])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr.contains("function echo: handlers run as nobody"), "\(unreadable.stderr)")
        #expect(unreadable.stderr.contains("who cannot read the function's directory"), "\(unreadable.stderr)")
    }

    @Test func commandsWithoutADaemon_sayHowToStartOne() throws {
        let project = try TestProject()
        let result = try FlintBinary.run(["invocations", "--project", project.root])
        #expect(result.status != 0)
        #expect(result.stderr.contains("flint up"))
    }

    /// What flint up does with buckets that are symbolic links, validate says too: a trigger's
    /// is noted (not watched), an output bucket's is refused.
    @Test func validate_namesBucketsThatAreSymbolicLinks() throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        try project.addBucketTrigger("uploads", function: "echo", bucket: "uploads")
        let elsewhere = project.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project.root + "/buckets", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.bucketPath("uploads"), withDestinationPath: elsewhere)
        let noted = try FlintBinary.run(["validate", "--project", project.root])
        #expect(noted.status == 0, "\(noted.stderr)")
        #expect(noted.stderr.contains("bucket uploads at \(project.root)/buckets/uploads is a symbolic link, which Flint never follows: trigger uploads will not fire"), "\(noted.stderr)")

        try project.write("functions/echo/function.yaml", "name: echo\ncommand: [\"./handler.sh\"]\noutput: uploads\n")
        let refused = try FlintBinary.run(["validate", "--project", project.root])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("output bucket uploads at \(project.root)/buckets/uploads is a symbolic link"), "\(refused.stderr)")
    }

    /// A handler's error message is shown in `flint invocations`' ERROR column: an escape
    /// sequence in it must not reach the terminal, which would act on it.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl for the shell runtime"))
    func invocationsTable_showsControlCharactersOfAnErrorEscaped() async throws {
        let project = try TestProject()
        try project.write("functions/sly/function.yaml", "name: sly\nruntime: lambda\ncommand: [\"./bootstrap.sh\"]\nretries: 0\n")
        try project.write("functions/sly/bootstrap.sh", #"""
            #!/bin/sh
            api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
            while :; do
                id=$(curl -sS -D - -o /dev/null "$api/next" | grep -i '^lambda-runtime-aws-request-id:' | cut -d: -f2 | tr -d ' \r')
                curl -sS -X POST -d '{"errorMessage": "bad \u001b]0;pwned\u0007 title", "errorType": "E"}' "$api/$id/error" > /dev/null
            done

            """#, executable: true)
        let daemon = try RunningDaemon(project)
        _ = try FlintBinary.run(["invoke", "sly", "--project", project.root])
        let listed = try FlintBinary.run(["invocations", "--function", "sly", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains(#"bad \u{1B}]0;pwned\u{7} title"#), "\(listed.stdout)")
        #expect(!listed.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        _ = daemon
    }

    @Test func validate_printsEveryProblemAndExitsNonZero() throws {
        let project = try TestProject()
        try project.write("functions/a/function.yaml", "name: a\ncommand: [\"./missing.sh\"]\ntimeout: 30 parsecs\n")
        try project.write("triggers/t.yaml", "source: http\nfunction: ghost\npath: /x\n")
        let result = try FlintBinary.run(["validate", "--project", project.root])
        #expect(result.status != 0)
        #expect(result.stderr.contains("functions/a/function.yaml:3: timeout: \"30 parsecs\" is not a duration"))
        #expect(result.stderr.contains("missing.sh"))
        #expect(result.stderr.contains("ghost"))
        // `file:line: key: message`, as documented: no "Error: " before the first.
        #expect(result.stderr.hasPrefix("functions/a/function.yaml:") || result.stderr.hasPrefix("triggers/t.yaml:"), "\(result.stderr)")
        let publish = try FlintBinary.run(["publish", "orders", "--data", "x", "--project", project.root])
        #expect(publish.status == 1)
        #expect(publish.stderr.contains("problems in \(project.root); flint publish loads the project to check the topic, and published nothing"), "\(publish.stderr)")

        let good = try TestProject()
        try good.addScriptFunction("echo", script: "exec cat\n")
        let ok = try FlintBinary.run(["validate", "--project", good.root])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("ok: 1 function, 0 triggers"))
        #expect(ok.stderr.isEmpty, "\(ok.stderr)")

        // A file of the function's directory named without ./ is looked for where the handler
        // runs (its own empty directory): valid, but noted.
        try good.write("functions/py/handler.py", "print('hi')\n")
        try good.write("functions/py/function.yaml", "name: py\ncommand: [\"python3\", \"-I\", \"handler.py\"]\n")
        let noted = try FlintBinary.run(["validate", "--project", good.root])
        #expect(noted.status == 0, "\(noted.stderr)")
        #expect(noted.stderr.contains("function py: command argument \"handler.py\" names a file of its directory, but a handler runs in a working directory of its own, where it is not: write \"./handler.py\""), "\(noted.stderr)")
    }
}
