import Foundation
import Testing

/// `flint init`: what it writes works as written, through a real daemon.
@Suite(.serialized) struct CLIInitTests {
    private func initFunction(_ project: TestProject, _ arguments: [String]) throws -> FlintBinary.Output {
        try FlintBinary.run(["init"] + arguments + ["--project", project.root], timeout: 120)
    }

    /// The invocations of `function` recorded so far, newest first.
    private func invocations(_ daemon: RunningDaemon, _ function: String) async throws -> [[String: Any]] {
        let listed = try await daemon.request("GET", "/v1/invocations?function=\(function)", authorized: true).json()
        return listed["invocations"] as? [[String: Any]] ?? []
    }

    private func firstOutcome(_ daemon: RunningDaemon, _ function: String) async throws -> String {
        try await eventually("an invocation of \(function)", within: 20) {
            try await invocations(daemon, function).first?["outcome"] as? String
        }
    }

    /// The logs of `function` once they hold every one of `lines`.
    private func logs(_ function: String, in project: TestProject, containing lines: [String]) async throws -> String {
        try await eventually("log lines \(lines) of \(function)", within: 30) {
            let logs = try FlintBinary.run(["logs", function, "--project", project.root]).stdout
            return lines.allSatisfy(logs.contains) ? logs : nil
        }
    }

    @Test func shellHTTPFunction_answersItsRoute_andTheSuggestedCurlWorks() async throws {
        let project = try TestProject()
        let made = try initFunction(project, ["greet"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("created functions/greet/function.yaml"))
        #expect(made.stdout.contains("created triggers/greet.yaml"))
        #expect(made.stdout.contains("ok: 1 function, 1 trigger"))

        let daemon = try RunningDaemon(project)
        let reply = try await daemon.request("POST", "/greet", body: Data("{}".utf8))
        #expect(reply.status == 200)
        #expect(try reply.json()["message"] as? String == "hello world, from greet")

        // With Flint running on a port of its own choosing, the suggestion names that port; once
        // Flint has reloaded, the curl works as pasted, and the name it sends is greeted.
        let second = try initFunction(project, ["greet-again"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("http://127.0.0.1:\(daemon.url.port ?? 0)/greet-again"), "\(second.stdout)")
        #expect(try FlintBinary.run(["reload", "--project", project.root]).status == 0)
        let suggestion = try #require(second.stdout.components(separatedBy: "\n").first { $0.hasPrefix("  curl ") })
        let curl = try #require(suggestion.components(separatedBy: "   (or ").first)
        let answered = try Subprocess.run("/bin/sh", ["-c", curl])
        #expect(answered.status == 0, "\(answered.stderr)")
        let answer = try JSONSerialization.jsonObject(with: Data(answered.stdout.utf8)) as? [String: Any]
        #expect(answer?["message"] as? String == "hello you, from greet-again", "\(answered.stdout)")
    }

    @Test func httpFunctions_inEveryLanguage_greetTheNameSent_orTheWorldForABodyThatIsNotJSON() async throws {
        let project = try TestProject()
        for lang in ["sh", "python", "swift"] {
            let made = try initFunction(project, ["hi-\(lang)", "--lang", lang])
            try #require(made.status == 0, "\(made.stderr)")
        }
        let daemon = try RunningDaemon(project)
        for lang in ["sh", "python", "swift"] {
            let named = try await daemon.request("POST", "/hi-\(lang)", body: Data("{\"name\": \"ann\"}".utf8))
            #expect(named.status == 200, "\(lang): \(named.text)")
            #expect(try named.json()["message"] as? String == "hello ann, from hi-\(lang)")
            let text = try await daemon.request("POST", "/hi-\(lang)", body: Data("hi".utf8))
            #expect(text.status == 200, "\(lang): \(text.text)")
            #expect(try text.json()["message"] as? String == "hello world, from hi-\(lang)")
        }
    }

    @Test func queueAndBucketFunctions_inEveryLanguage_logEachMessageAndObject() async throws {
        let project = try TestProject()
        let languages = ["sh", "python", "swift"]
        for lang in languages {
            #expect(try initFunction(project, ["jobs-\(lang)", "--lang", lang, "--trigger", "queue"]).status == 0)
            let made = try initFunction(project, ["files-\(lang)", "--lang", lang, "--trigger", "bucket"])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.stdout.contains("echo hello > hello.txt && flint put files-\(lang) hello.txt"), "\(made.stdout)")
        }
        let daemon = try RunningDaemon(project)

        for lang in languages {
            let published = try FlintBinary.run(
                ["publish", "jobs-\(lang)", "--lines", "--project", project.root], stdin: Data("{\"n\": 1}\n\"two \\\\ \\\"quoted\\\"\"\n".utf8))
            #expect(published.status == 0, "\(published.stderr)")
            let ids = published.stdout.split(separator: "\n")
            try #require(ids.count == 2)
            // Each message, its body as it was published.
            _ = try await logs("jobs-\(lang)", in: project, containing: [
                "message \(ids[0]): {\"n\": 1}", "message \(ids[1]): \"two \\\\ \\\"quoted\\\"\"",
            ])

            let put = try FlintBinary.run(["put", "files-\(lang)", "-", "hello wörld+.txt", "--project", project.root], stdin: Data("hi".utf8))
            #expect(put.status == 0, "\(put.stderr)")
            // Each object, its key decoded, and its size.
            _ = try await logs("files-\(lang)", in: project, containing: ["files-\(lang)/hello wörld+.txt: 2 bytes"])
            #expect(try await firstOutcome(daemon, "jobs-\(lang)") == "ok")
            #expect(try await firstOutcome(daemon, "files-\(lang)") == "ok")

            // An event without records is no failure.
            let empty = try FlintBinary.run(["invoke", "files-\(lang)", "--data", #"{"Records":[]}"#, "--project", project.root])
            #expect(empty.status == 0, "\(lang): \(empty.stderr)")
        }
    }

    @Test func swiftFunction_isCompiled_andEchoesItsEvent() async throws {
        let project = try TestProject()
        let made = try initFunction(project, ["mirror", "--lang", "swift", "--trigger", "none"])
        try #require(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("created functions/mirror/handler\n"))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/triggers/mirror.yaml"))

        let daemon = try RunningDaemon(project)
        let invoked = try FlintBinary.run(["invoke", "mirror", "--data", "{\"a\":[1,2]}", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        #expect(invoked.stdout == "{\"a\":[1,2]}\n")
        withExtendedLifetime(daemon) {}
    }

    @Test func lambdaFunctions_inShellPythonAndSwift_serveWarm() async throws {
        let project = try TestProject()
        for lang in ["sh", "python", "swift"] {
            let made = try initFunction(project, ["warm-\(lang)", "--runtime", "lambda", "--lang", lang])
            try #require(made.status == 0, "\(made.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: project.root + "/functions/warm-python/vendor/awslambdaric"))
        let daemon = try RunningDaemon(project)
        for lang in ["sh", "python", "swift"] {
            for _ in 0 ..< 2 {
                let reply = try await daemon.request("POST", "/warm-\(lang)", body: Data("{\"name\": \"ann\"}".utf8))
                #expect(reply.status == 200, "\(lang): \(reply.text)")
                let message = try reply.json()["message"] as? String
                #expect(message == "hello ann, from warm-\(lang)")
            }
            let text = try await daemon.request("POST", "/warm-\(lang)", body: Data("hi".utf8))
            #expect(text.status == 200, "\(lang): \(text.text)")
            #expect(try text.json()["message"] as? String == "hello world, from warm-\(lang)", "\(lang)")
            let runs = try await invocations(daemon, "warm-\(lang)")
            #expect(runs.map { $0["cold_start"] as? Bool } == [false, false, true], "\(lang): later invocations reuse the instance")
        }
    }

    @Test func aFunctionTheProjectWouldRefuse_isNotWritten() throws {
        let project = try TestProject()
        try project.addScriptFunction("first", script: "cat\n")
        try project.addRoute("first", function: "first", method: "POST", path: "/greet")
        // `greet`'s trigger would serve POST /greet too.
        let clash = try initFunction(project, ["greet"])
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("flint init greet wrote nothing: the project would not load with it."), "\(clash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/greet"))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/triggers/greet.yaml"))
        #expect(try FlintBinary.run(["validate", "--project", project.root]).status == 0)
    }

    @Test(arguments: ["metrics", "healthz", "v1", "2015-03-31"])
    func aNameFlintServesItself_isRefusedForAnHTTPTrigger_only(name: String) throws {
        let project = try TestProject()
        let refused = try initFunction(project, [name])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("\"\(name)\" cannot name a function with an http trigger: its route would be POST /\(name)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("choose another name, or --trigger queue, bucket or none"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/\(name)"))

        let queued = try initFunction(project, [name, "--trigger", "queue"])
        #expect(queued.status == 0, "\(queued.stderr)")
    }

    @Test func httpFunction_onAListenerOthersCanReach_needsTheToken_whereTheDaemonKeepsIt() throws {
        let project = try TestProject(listen: "0.0.0.0:29680")
        try project.write("flint.yaml", "listen: 0.0.0.0:29680\ndata: state\n")
        // From elsewhere (the tests' directory), with --project: absolute paths, and --project.
        let made = try initFunction(project, ["greet"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try String(contentsOfFile: project.root + "/triggers/greet.yaml", encoding: .utf8).contains("auth: token\n"))
        #expect(made.stdout.contains(
            "curl -s -X POST http://127.0.0.1:29680/greet -H \"Authorization: Bearer $(cat \(project.root)/state/admin-token)\" "
                + "-d '{\"name\": \"you\"}'   (or flint invoke greet --project \(project.root))"), "\(made.stdout)")

        // From the project's directory: paths relative to it, and no --project.
        let inside = try FlintBinary.run(["init", "greet-here"], directory: project.root)
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(inside.stdout.contains("-H \"Authorization: Bearer $(cat state/admin-token)\" -d '{\"name\": \"you\"}'   (or flint invoke greet-here)\n"), "\(inside.stdout)")
    }

    @Test func aNameStartingWithADash_isSuggestedAfterDoubleDash_andTheSuggestionWorks() throws {
        let project = try TestProject()
        let made = try FlintBinary.run(["init", "--project", project.root, "--trigger", "none", "--", "-abc"])
        #expect(made.status == 0, "\(made.stderr)")
        let suggested = "flint invoke --data '{\"hello\": \"flint\"}' --project \(project.root) -- -abc"
        #expect(made.stdout.contains("  \(suggested)\n"), "\(made.stdout)")

        let daemon = try RunningDaemon(project)
        // As the user pastes it, with this flint.
        let pasted = try Subprocess.run("/bin/sh", ["-c", "\"$0\"" + suggested.dropFirst("flint".count), FlintBinary.path])
        #expect(pasted.status == 0, "\(pasted.stderr)")
        #expect(pasted.stdout.contains(#"{"hello": "flint"}"#), "\(pasted.stdout)")
        withExtendedLifetime(daemon) {}
    }

    @Test func existingFunctionOrTrigger_isNeverOverwritten_andBadInputIsRefused() throws {
        let project = try TestProject()
        try project.write("triggers/taken.yaml", "source: http\nfunction: other\nmethod: GET\npath: /x\n")
        let clash = try initFunction(project, ["taken"])
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("triggers/taken.yaml already exists; pick another name, or remove it first"))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/taken"), "nothing is left behind")
        #expect(try String(contentsOfFile: project.root + "/triggers/taken.yaml", encoding: .utf8).contains("other"))

        let badName = try initFunction(project, ["Not_A_Name"])
        #expect(badName.status == 64)
        #expect(badName.stderr.contains("cannot name a function: use 1 to 64 characters of a-z, 0-9 and -"))
        let badRuntime = try initFunction(project, ["ok", "--runtime", "docker"])
        #expect(badRuntime.status == 64)
        #expect(badRuntime.stderr.contains("--runtime docker: use exec or lambda"))
    }
}
