import Testing
import FlintCore

@Suite struct ProjectLoaderTests {
    /// A function directory with a manifest and an executable handler.
    private func writeFunction(_ project: TemporaryProjectDirectory, _ directory: String, name: String, extra: String = "") throws {
        try project.writeScript("\(directory)/handler.sh")
        try project.write("\(directory)/function.yaml", "name: \(name)\ncommand: [./handler.sh]\n\(extra)")
    }

    @Test func validProject_loadsFunctionsTriggersAndDefaults() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [samples]\n")
            try project.writeScript("samples/transcode/transcode.sh")
            try project.write("samples/transcode/function.yaml", """
                name: transcode
                command: ["./transcode.sh", "--quality", "80"]
                timeout: 2m
                memory: 1Gi
                concurrency: 2
                env: {QUALITY: 80}
                """)
            try writeFunction(project, "samples/echo", name: "echo")
            try project.write("samples/notes/README.md", "not a function: no function.yaml\n")
            try project.write("triggers/main.yaml", """
                source: bucket
                function: transcode
                bucket: uploads
                suffix: .png
                ---
                source: http
                function: echo
                method: post
                path: /echo/{name}
                auth: none
                """)
            try project.write("triggers/hourly.yml", "source: schedule\nfunction: echo\ncron: \"0 * * * *\"\n")
            try project.write("triggers/README.md", "ignored: not YAML by name\n")

            let loaded = try project.load()
            #expect(loaded.root == project.root)
            #expect(loaded.config.listen == ListenAddress(host: "127.0.0.1", port: 0))
            #expect(loaded.config.triggers == "triggers")
            #expect(loaded.dataDirectory == project.root + "/.flint")
            #expect(loaded.functions.keys.sorted() == ["echo", "transcode"])

            let transcode = try #require(loaded.functions["transcode"])
            #expect(transcode.directory == project.root + "/samples/transcode")
            #expect(transcode.command == ["./transcode.sh", "--quality", "80"])
            #expect(transcode.timeout == .seconds(120))
            #expect(transcode.memoryBytes == 1 << 30)
            #expect(transcode.concurrency == 2)
            #expect(transcode.environment == ["QUALITY": "80"])
            #expect(transcode.retries == FunctionManifest.defaultRetries)

            let echo = try #require(loaded.functions["echo"])
            #expect(echo.timeout == FunctionManifest.defaultTimeout)
            #expect(echo.memoryBytes == FunctionManifest.defaultMemoryBytes)
            #expect(echo.concurrency == FunctionManifest.defaultConcurrency)
            #expect(echo.runtime == .exec)
            #expect(echo.isolation == .process)

            #expect(loaded.triggers.map(\.name) == ["hourly", "main", "main#2"])
            #expect(loaded.triggers.map(\.location.description) == ["triggers/hourly.yml:1", "triggers/main.yaml:1", "triggers/main.yaml:6"])
            #expect(loaded.triggers[0].source == .schedule(ScheduleTrigger(rule: .cron("0 * * * *"))))
            #expect(loaded.triggers[1].source == .bucket(BucketTrigger(bucket: "uploads", events: [.created], prefix: "", suffix: ".png")))
            #expect(loaded.triggers[2].source == .http(HTTPTrigger(method: "POST", path: try RoutePattern("/echo/{name}"), auth: RouteAuth.none)))
        }
    }

    @Test func withoutFlintYaml_defaultsApply_andMissingDefaultDirectoriesAreFine() throws {
        try withTemporaryProject { project in
            let empty = try project.load()
            #expect(empty.config == FlintConfig())
            #expect(empty.functions.isEmpty)
            #expect(empty.triggers.isEmpty)

            try writeFunction(project, "functions/hello", name: "hello")
            let loaded = try project.load()
            #expect(loaded.functions.keys.sorted() == ["hello"])
        }
    }

    @Test func relativeRoot_isMadeAbsolute() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/hello", name: "hello")
            let relative = project.root + "/functions/../"
            let loaded = try ProjectLoader.load(root: relative)
            #expect(loaded.root == project.root)
            #expect(loaded.functions["hello"]?.directory == project.root + "/functions/hello")
        }
    }

    @Test func explicitDirectoriesThatDoNotExist_areErrors() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "functions:\n  - samples\n  - fns\ntriggers: bindings\n")
            try writeFunction(project, "samples/echo", name: "echo")
            #expect(project.loadIssues() == [
                #"flint.yaml:3: functions[1]: directory "fns" does not exist"#,
                #"flint.yaml:4: triggers: directory "bindings" does not exist"#,
            ])
        }
    }

    /// The triggers are not each said to name no function: the directory that holds them is missing.
    @Test func functionsDirectoryThatDoesNotExist_isTheOneErrorItsTriggersCause() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "functions: nope\n")
            try writeFunction(project, "functions/echo", name: "echo")
            try project.write("triggers/echo.yaml", "source: http\nfunction: echo\nmethod: POST\npath: /echo\n")
            #expect(project.loadIssues() == [#"flint.yaml:1: functions: directory "nope" does not exist"#])
        }
    }

    @Test func manifestNamedFunctionYml_isAnError_notAMissingFunction() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/a", name: "a")
            try project.write("functions/b/function.yml", "name: b\ncommand: [./run]\n")
            #expect(project.loadIssues().first?.hasPrefix("functions/b/function.yml") == true, "\(project.loadIssues())")
            #expect(project.loadIssues().first?.hasSuffix("Flint reads a function's manifest from function.yaml, not function.yml; rename it") == true)
        }
    }

    @Test func duplicateFunctionNames_nameBothFiles() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/a", name: "echo")
            try writeFunction(project, "functions/b", name: "echo")
            #expect(project.loadIssues() == [
                #"functions/b/function.yaml:1: name: "echo" is also the name of the function in functions/a/function.yaml:1; function names must be unique"#,
            ])
        }
    }

    /// A manifest that is not YAML gives no name: a trigger naming its directory is not said
    /// to name an unknown function, which would only echo the manifest's problem.
    @Test func triggerNamingAFunctionWhoseManifestIsNotYAML_isNotReportedToo() throws {
        try withTemporaryProject { project in
            try project.write("functions/hello/function.yaml", "name: hello\ncommand: [\"./hello.sh\"\n")
            try project.write("triggers/hello.yaml", "source: http\nfunction: hello\npath: /hello\n")
            try project.write("triggers/typo.yaml", "source: http\nfunction: helo\npath: /typo\n")
            let issues = project.loadIssues()
            #expect(issues.count == 2, "\(issues)")
            #expect(issues.first?.hasPrefix("functions/hello/function.yaml:") == true, "\(issues)")
            #expect(issues.last?.hasPrefix(#"triggers/typo.yaml:2: function: "helo" is not a function of this project"#) == true, "\(issues)")
        }
    }

    @Test func triggerNamingUnknownFunction_listsKnownOnes() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/echo", name: "echo")
            try writeFunction(project, "functions/transcode", name: "transcode")
            try project.write("triggers/api.yaml", "source: http\nfunction: ecko\npath: /echo\n")
            #expect(project.loadIssues() == [
                #"triggers/api.yaml:2: function: "ecko" is not a function of this project (known: echo, transcode)"#,
            ])
        }
    }

    @Test func functionWithOtherProblems_stillCountsAsKnown() throws {
        try withTemporaryProject { project in
            try project.write("functions/echo/function.yaml", "name: echo\ncommand: [./missing.sh]\n")
            try project.write("triggers/api.yaml", "source: http\nfunction: echo\npath: /echo\n")
            #expect(project.loadIssues() == ["functions/echo/function.yaml:2: command[0]: ./missing.sh does not exist in functions/echo"])
        }
    }

    @Test func httpTriggersOnTheSameRoute_conflict() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/echo", name: "echo")
            try project.write("triggers/api.yaml", """
                source: http
                function: echo
                method: POST
                path: /echo/{name}
                ---
                source: http
                function: echo
                method: GET
                path: /echo/{id}
                """)
            try project.write("triggers/catchall.yaml", """
                source: http
                function: echo
                path: /echo/{other}
                ---
                source: http
                function: echo
                path: /echo/{rest+}
                ---
                source: http
                function: echo
                method: get
                path: /echo/{x}/
                """)
            #expect(project.loadIssues() == [
                "triggers/catchall.yaml:3: path: ANY /echo/{other} conflicts with POST /echo/{name} at triggers/api.yaml:4",
                "triggers/catchall.yaml:12: path: GET /echo/{x}/ conflicts with GET /echo/{id} at triggers/api.yaml:9",
            ])
        }
    }

    @Test func sameBaseNameInYamlAndYml_isAnError() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/echo", name: "echo")
            try project.write("triggers/api.yaml", "source: queue\nfunction: echo\ntopic: a\n")
            try project.write("triggers/api.yml", "source: queue\nfunction: echo\ntopic: b\n")
            #expect(project.loadIssues() == [
                "triggers/api.yml: its triggers would be named api, like those of triggers/api.yaml; rename one of the files",
            ])
        }
    }

    /// A queue trigger's subscription is named after it; Flint's own are `flint.invoke.FUNCTION`
    /// and the like, and a file's second trigger is `NAME#2`: names that would collide.
    @Test func triggerFileNamesThatCouldCollideWithFlintsOwn_areErrors() throws {
        try withTemporaryProject { project in
            try writeFunction(project, "functions/echo", name: "echo")
            try project.write("triggers/flint.invoke.echo.yaml", "source: queue\nfunction: echo\ntopic: jobs\n")
            try project.write("triggers/a.yaml", "source: queue\nfunction: echo\ntopic: a\n---\nsource: queue\nfunction: echo\ntopic: b\n")
            try project.write("triggers/a#2.yaml", "source: queue\nfunction: echo\ntopic: c\n")
            #expect(project.loadIssues() == [
                "triggers/a#2.yaml: a trigger file's name cannot contain #: the second and later triggers of a file are named NAME#2, NAME#3, ...; rename the file",
                "triggers/flint.invoke.echo.yaml: trigger names starting with flint. are Flint's own (its asynchronous invocations, schedules and bucket events use them); rename the file",
            ])
        }
    }

    @Test func problemsInEveryFile_areAllReported_inFileOrder() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "listen: nowhere\n")
            try project.write("functions/a/function.yaml", "name: a\ncommand: ./a.sh\ntimeout: 1 week\n")
            try project.writeScript("functions/b/b.sh")
            try project.write("functions/b/function.yaml", "name: b\ncommand: [./b.sh]\nmemory: lots\n")
            try project.write("triggers/q.yaml", "source: queue\nfunction: c\ntopic: t\n")
            try project.write("triggers/bad.yaml", "source: http\nfunction: a\npath: [/x]\n")
            #expect(project.loadIssues() == [
                #"flint.yaml:1: listen: "nowhere" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)"#,
                #"functions/a/function.yaml:2: command: "./a.sh" is a string; use a list such as ["./a.sh"] (a command is never run through a shell)"#,
                #"functions/a/function.yaml:3: timeout: "1 week" is not a duration (use 500ms, 30s, 5m, 7d)"#,
                #"functions/b/function.yaml:3: memory: "lots" is not a byte size (use 128Mi, 1Gi)"#,
                "triggers/bad.yaml:3: path: expected a single value, not a list (a route such as /echo/{name})",
                #"triggers/q.yaml:2: function: "c" is not a function of this project (known: a, b)"#,
            ])
            // The error's description: one issue per line.
            do throws(ProjectLoadError) {
                _ = try ProjectLoader.load(root: project.root)
                Issue.record("expected the project to be refused")
            } catch {
                #expect(error.description.split(separator: "\n").count == 6)
            }
        }
    }

    @Test func invalidFunctionsSetting_skipsFunctionChecks() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "functions: {a: b}\n")
            try project.write("triggers/q.yaml", "source: queue\nfunction: c\ntopic: t\n")
            #expect(project.loadIssues() == [
                "flint.yaml:1: functions: expected a list, not a mapping (a list of directories, e.g. [functions])",
            ])
        }
    }

    @Test func unreadableFlintYaml_skipsEverythingThatDependsOnIt() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "functions: [samples\n")
            try project.write("triggers/q.yaml", "source: queue\nfunction: c\ntopic: t\n")
            #expect(project.loadIssues() == [
                "flint.yaml:2: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1)",
            ])
        }
    }

    @Test func missingRoot_isReported() throws {
        try withTemporaryProject { project in
            #expect(configIssues { () throws(ProjectLoadError) in try ProjectLoader.load(root: project.root + "/nope") } == [
                "\(project.root)/nope: does not exist (a project's root, where flint.yaml is)",
            ])
        }
    }

    @Test func yamlSyntaxError_inATriggerFile_namesItsLine() throws {
        try withTemporaryProject { project in
            try project.write("triggers/s.yaml", "source: schedule\nfunction: r\ncron: */5 * * * *\n")
            #expect(project.loadIssues() == [
                #"triggers/s.yaml:3: invalid YAML: did not find expected alphabetic or numeric character (while scanning an alias at line 3); quote a value that starts with *, e.g. "*/5 * * * *""#,
            ])
        }
    }

    /// An unquoted IPv6 listen address starts a YAML list: the message says to quote it.
    @Test func unquotedIPv6Address_isExplained() throws {
        try withTemporaryProject { project in
            try project.write("flint.yaml", "listen: [::1]:8080\n")
            #expect(project.loadIssues() == [
                #"flint.yaml:1: invalid YAML: did not find expected node content (while parsing a flow node at line 1); a value that starts with [ or { is a YAML list or mapping: quote it if it is text, e.g. listen: "[::1]:8080""#,
            ])
        }
    }
}
