import Testing
import FlintCore

@Suite struct FunctionManifestParsingTests {
    static let file = "samples/echo/function.yaml"

    /// Parses `yaml` as `samples/echo/function.yaml` of `project`, whose `echo.sh` is executable.
    private func parse(_ yaml: String, in project: TemporaryProjectDirectory) throws(ProjectLoadError) -> FunctionManifest {
        try FunctionManifest.parse(yaml: yaml, file: Self.file, directory: project.root + "/samples/echo")
    }

    private func issues(_ yaml: String) throws -> [String] {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            return configIssues { () throws(ProjectLoadError) in try parse(yaml, in: project) }
        }
    }

    @Test func allKeys_areRead() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("""
                name: echo
                runtime: exec
                command: ["./echo.sh", --verbose, 5]
                timeout: 1m30s
                memory: 512Mi
                concurrency: 4
                idle: 5m
                retries: 0
                env: {QUALITY: 80, DEBUG: true, RATIO: 1.50, EMPTY: "", GREETING: hello world}
                isolation: process
                on_success: audit
                on_failure: echo.failures
                output: thumbnails
                """, in: project)
            #expect(manifest.name == "echo")
            #expect(manifest.directory == project.root + "/samples/echo")
            #expect(manifest.runtime == .exec)
            #expect(manifest.command == ["./echo.sh", "--verbose", "5"])
            #expect(manifest.timeout == .seconds(90))
            #expect(manifest.memoryBytes == 512 * 1024 * 1024)
            #expect(manifest.memoryMB == 512)
            #expect(manifest.concurrency == 4)
            #expect(manifest.idle == .seconds(300))
            #expect(manifest.retries == 0)
            #expect(manifest.environment == ["QUALITY": "80", "DEBUG": "true", "RATIO": "1.50", "EMPTY": "", "GREETING": "hello world"])
            #expect(manifest.isolation == .process)
            #expect(manifest.onSuccess == "audit")
            #expect(manifest.onFailure == "echo.failures")
            #expect(manifest.output == "thumbnails")
        }
    }

    @Test func lambdaRuntime_isAccepted() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("name: echo\nruntime: lambda\ncommand: [./echo.sh]\nidle: 5s\n", in: project)
            #expect(manifest.runtime == .lambda)
            #expect(manifest.idle == .seconds(5))
        }
    }

    @Test func lambdaRuntimeWithBucketOutput_isRefused_neverRunWithLess() throws {
        let messages = try issues("""
            name: echo
            runtime: lambda
            command: ["./echo.sh"]
            output: thumbnails
            """)
        #expect(messages == [
            "samples/echo/function.yaml:4: output: bucket outputs need runtime: exec (a warm lambda instance has no per-invocation FLINT_OUTPUT_DIR); use runtime: exec, or remove output",
        ])
    }

    @Test func lambdaRuntimeInASandbox_isRefused_neverRunWithLess() throws {
        let messages = try issues("""
            name: echo
            runtime: lambda
            command: ["./echo.sh"]
            isolation: sandbox
            """)
        #expect(messages == [
            "samples/echo/function.yaml:4: isolation: sandbox is not available for runtime: lambda in this version (a warm instance reaches its Runtime API on the host's loopback); use isolation: process, or runtime: exec",
        ])
    }

    @Test func absentKeys_takeTheDefaults() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("name: echo\ncommand: [./echo.sh]\n", in: project)
            #expect(manifest.runtime == .exec)
            #expect(manifest.timeout == FunctionManifest.defaultTimeout)
            #expect(manifest.memoryBytes == FunctionManifest.defaultMemoryBytes)
            #expect(manifest.concurrency == FunctionManifest.defaultConcurrency)
            #expect(manifest.idle == FunctionManifest.defaultIdle)
            #expect(manifest.retries == FunctionManifest.defaultRetries)
            #expect(manifest.environment == [:])
            #expect(manifest.isolation == .process)
            #expect(manifest.onSuccess == nil)
            #expect(manifest.onFailure == nil)
            #expect(manifest.output == nil)
        }
    }

    @Test func badDuration_namesFileLineKeyAndWhatIsAllowed() throws {
        let found = try issues("""
            name: echo
            runtime: exec
            command: ["./echo.sh"]
            timeout: 30 parsecs
            """)
        #expect(found == [#"samples/echo/function.yaml:4: timeout: "30 parsecs" is not a duration (use 500ms, 30s, 5m, 7d)"#])
    }

    @Test func severalProblemsInOneFile_areAllReported() throws {
        let found = try issues("""
            name: Echo_Fn
            runtime: docker
            command: ["./echo.sh"]
            timeout: 20m
            memory: 256MB
            concurrency: many
            idle: 30
            retries: -1
            isolation: [sandbox]
            colour: blue
            timout: 5s
            """)
        #expect(found == [
            #"samples/echo/function.yaml:1: name: "Echo_Fn" must be 1 to 64 characters of a-z, 0-9 and -"#,
            #"samples/echo/function.yaml:2: runtime: "docker" is not one of exec, lambda"#,
            #"samples/echo/function.yaml:4: timeout: "20m" is out of range (allowed: 1ms...15m)"#,
            #"samples/echo/function.yaml:5: memory: "256MB" is not a byte size (use 128Mi, 1Gi)"#,
            #"samples/echo/function.yaml:6: concurrency: "many" is not a whole number (allowed: 1...1000)"#,
            #"samples/echo/function.yaml:7: idle: "30" has no unit (use 500ms, 30s, 5m, 7d)"#,
            #"samples/echo/function.yaml:8: retries: "-1" is out of range (allowed: 0...100)"#,
            #"samples/echo/function.yaml:9: isolation: expected a single value, not a list (one of process, sandbox)"#,
            #"samples/echo/function.yaml:10: colour: not a key of function.yaml (keys: name, runtime, command, timeout, memory, concurrency, idle, retries, env, isolation, on_success, on_failure, output, network)"#,
            #"samples/echo/function.yaml:11: timout: not a key of function.yaml (did you mean timeout?)"#,
        ])
    }

    @Test func destinations_mustBeTopicNamesNotReservedForFlint() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh]\non_success: flint.events\non_failure: \"dead letters\"\n") == [
            #"samples/echo/function.yaml:3: on_success: "flint.events" is reserved for Flint's own topics; choose a name that does not start with flint."#,
            #"samples/echo/function.yaml:4: on_failure: "dead letters" must be 1 to 128 characters of ASCII letters, digits, ., _ and -"#,
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\non_failure:\non_sucess: x\n") == [
            "samples/echo/function.yaml:3: on_failure: has no value (a topic name such as images)",
            "samples/echo/function.yaml:4: on_sucess: not a key of function.yaml (did you mean on_success?)",
        ])
        let longest = String(repeating: "t", count: TopicName.maxLength)
        #expect(try issues("name: e\ncommand: [./echo.sh]\non_failure: \(longest)\non_success: \(longest)t\n") == [
            #"samples/echo/function.yaml:4: on_success: "\#(longest)t" must be 1 to 128 characters of ASCII letters, digits, ., _ and -"#,
        ])
    }

    @Test func output_isABucketName_underTheSameRuleAsBucketTriggers() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            for bucket in ["thumbnails", "out.v2", "my_bucket-1"] {
                #expect(try parse("name: e\ncommand: [./echo.sh]\noutput: \(bucket)\n", in: project).output == bucket)
            }
        }
        #expect(try issues("name: e\ncommand: [./echo.sh]\noutput: ../etc\n") == [
            #"samples/echo/function.yaml:3: output: "../etc" is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"#,
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\noutput: \"..\"\n") == [
            #"samples/echo/function.yaml:3: output: ".." is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"#,
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\n\noutput: thumbnails/small\n") == [
            #"samples/echo/function.yaml:4: output: "thumbnails/small" is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"#,
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\noutput:\n") == [
            "samples/echo/function.yaml:3: output: has no value (a directory name under the buckets root)",
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\noutput: [a, b]\n") == [
            "samples/echo/function.yaml:3: output: expected a single value, not a list (a directory name under the buckets root)",
        ])
        #expect(try issues("name: e\ncommand: [./echo.sh]\noutptu: a\n") == [
            "samples/echo/function.yaml:3: outptu: not a key of function.yaml (did you mean output?)",
        ])
    }

    @Test func missingRequiredKeys_areReportedAtTheMapping() throws {
        let found = try issues("\n# a comment\nruntime: exec\n")
        #expect(found == [
            "samples/echo/function.yaml:3: name: is required (1 to 64 characters of a-z, 0-9 and -)",
            #"samples/echo/function.yaml:3: command: is required (a list such as ["./handler.sh", "--verbose"])"#,
        ])
    }

    @Test func emptyFile_andNonMapping_areRefused() throws {
        #expect(try issues("# nothing yet\n") == ["samples/echo/function.yaml: is empty; a function needs at least name and command"])
        #expect(try issues("- name: echo\n") == ["samples/echo/function.yaml:1: expected a mapping with name, command, ..., not a list"])
    }

    @Test func memory_outOfRangeOrWithoutUnit() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh]\nmemory: 8Mi\n")
            == [#"samples/echo/function.yaml:3: memory: "8Mi" is out of range (allowed: 16Mi...10Gi)"#])
        #expect(try issues("name: e\ncommand: [./echo.sh]\nmemory: 256\n")
            == [#"samples/echo/function.yaml:3: memory: "256" has no unit (use 128Mi, 1Gi)"#])
    }

    @Test func keyWithoutValue_isAnError_notTheDefault() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh]\ntimeout:\n")
            == ["samples/echo/function.yaml:3: timeout: has no value (use 500ms, 30s, 5m, 7d)"])
    }

    @Test func commandAsString_isRefused_neverRunThroughAShell() throws {
        #expect(try issues("name: e\ncommand: python3 handler.py\n") == [
            #"samples/echo/function.yaml:2: command: "python3 handler.py" is a string; use a list such as ["python3", "handler.py"] (a command is never run through a shell)"#,
        ])
    }

    @Test func commandElements_mustBeNonEmptyStrings() throws {
        #expect(try issues("name: e\ncommand: []\n") == [
            #"samples/echo/function.yaml:2: command: is empty; it needs at least the program to run (a list such as ["./handler.sh", "--verbose"])"#,
        ])
        #expect(try issues("name: e\ncommand:\n  - ./echo.sh\n  - \"\"\n  - [a]\n") == [
            "samples/echo/function.yaml:4: command[1]: must not be an empty string",
            "samples/echo/function.yaml:5: command[2]: expected a single value, not a list (a non-empty string)",
        ])
    }

    @Test func commandProgram_mustExistAndBeExecutable() throws {
        try withTemporaryProject { project in
            try project.write("samples/echo/plain.sh", "#!/bin/sh\n")
            try project.makeDirectory("samples/echo/lib")
            func found(_ command: String) -> [String] {
                configIssues { () throws(ProjectLoadError) in try parse("name: e\ncommand: \(command)\n", in: project) }
            }
            #expect(found("[./transcode.sh]") == ["samples/echo/function.yaml:2: command[0]: ./transcode.sh does not exist in samples/echo"])
            #expect(found("[./plain.sh]") == ["samples/echo/function.yaml:2: command[0]: ./plain.sh is not executable (chmod +x samples/echo/plain.sh)"])
            #expect(found("[./lib]") == ["samples/echo/function.yaml:2: command[0]: ./lib is a directory, not a program"])
            #expect(found("[/nonexistent/flint-handler]") == ["samples/echo/function.yaml:2: command[0]: /nonexistent/flint-handler does not exist"])
            #expect(found("[/bin/sh, -c, 'echo hi']") == [])
        }
    }

    @Test func bareProgramName_isLookedUpOnTheDefaultPathOrEnvPATH() throws {
        try withTemporaryProject { project in
            try project.writeScript("tools/flint-test-tool")
            func found(_ yaml: String) -> [String] {
                configIssues { () throws(ProjectLoadError) in try parse(yaml, in: project) }
            }
            #expect(found("name: e\ncommand: [sh, -c, 'cat']\n") == [])
            #expect(found("name: e\ncommand: [flint-test-tool]\n") == [
                "samples/echo/function.yaml:2: command[0]: flint-test-tool is not found on /usr/local/bin:/usr/bin:/bin (install it, set env.PATH, or give a path such as ./flint-test-tool)",
            ])
            #expect(found("name: e\ncommand: [flint-test-tool]\nenv: {PATH: \"\(project.root)/tools:/bin\"}\n") == [])
            #expect(found("name: e\ncommand: [sh]\nenv: {PATH: \"\(project.root)/tools\"}\n") == [
                "samples/echo/function.yaml:2: command[0]: sh is not found on \(project.root)/tools (install it, set env.PATH, or give a path such as ./sh)",
            ])
        }
    }

    @Test func env_namesMustBeValidAndNotReserved() throws {
        let found = try issues("""
            name: e
            command: [./echo.sh]
            env:
              QUALITY: 80
              my-var: x
              9LIVES: x
              FLINT_FUNCTION: x
              AWS_LAMBDA_FUNCTION_NAME: x
              LAMBDA_TASK_ROOT: x
              _HANDLER: x
              LIST: [a, b]
              NOTHING:
            """)
        #expect(found == [
            #"samples/echo/function.yaml:5: env.my-var: "my-var" is not a variable name (letters, digits and _, not starting with a digit)"#,
            #"samples/echo/function.yaml:6: env.9LIVES: "9LIVES" is not a variable name (letters, digits and _, not starting with a digit)"#,
            "samples/echo/function.yaml:7: env.FLINT_FUNCTION: names starting with FLINT_ are reserved for the variables Flint sets",
            "samples/echo/function.yaml:8: env.AWS_LAMBDA_FUNCTION_NAME: names starting with AWS_LAMBDA_ are reserved for the variables Flint sets",
            "samples/echo/function.yaml:9: env.LAMBDA_TASK_ROOT: LAMBDA_TASK_ROOT is reserved for the variables Flint sets",
            "samples/echo/function.yaml:10: env._HANDLER: _HANDLER is reserved for the variables Flint sets",
            #"samples/echo/function.yaml:11: env.LIST: expected a single value, not a list (a string, number or boolean; write "" for an empty string)"#,
            #"samples/echo/function.yaml:12: env.NOTHING: has no value (a string, number or boolean; write "" for an empty string)"#,
        ])
    }

    @Test func env_mayCarryAWSCredentialsAndRegion_butNotLambdasOwnVariables() throws {
        #expect(try issues("""
            name: e
            command: [./echo.sh]
            env:
              AWS_ACCESS_KEY_ID: AKIDEXAMPLE
              AWS_SECRET_ACCESS_KEY: x
              AWS_SESSION_TOKEN: x
              AWS_PROFILE: dev
              AWS_ENDPOINT_URL: http://127.0.0.1:9000
              AWS_REGION: eu-west-1
              AWS_DEFAULT_REGION: eu-west-1
              AWS_EXECUTION_ENV: x
              AWS_LAMBDA_MAX_CONCURRENCY: "4"
              _LAMBDA_TELEMETRY_LOG_FD: "3"
            """) == [
            "samples/echo/function.yaml:11: env.AWS_EXECUTION_ENV: AWS_EXECUTION_ENV is reserved for the variables Flint sets",
            "samples/echo/function.yaml:12: env.AWS_LAMBDA_MAX_CONCURRENCY: names starting with AWS_LAMBDA_ are reserved for the variables Flint sets",
            "samples/echo/function.yaml:13: env._LAMBDA_TELEMETRY_LOG_FD: _LAMBDA_TELEMETRY_LOG_FD is reserved for the variables Flint sets",
        ])
    }

    @Test func env_mustBeAMapping() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh]\nenv: [A=1]\n")
            == ["samples/echo/function.yaml:3: env: expected a mapping, not a list (a mapping of NAME: value)"])
    }

    @Test func duplicateKey_isReportedAtItsFirstLine_namingTheSecond() throws {
        #expect(try issues("name: e\ntimeout: 5s\ncommand: [./echo.sh]\ntimeout: 10s\n")
            == ["samples/echo/function.yaml:2: timeout: appears twice in the same mapping (again at line 4); keep one"])
        #expect(try issues("name: e\ncommand: [./echo.sh]\nenv:\n  A: \"1\"\n  B: \"2\"\n  A: \"3\"\n")
            == ["samples/echo/function.yaml:4: A: appears twice in the same mapping (again at line 6); keep one"])
    }

    /// YAML keeps `ON` (a boolean) and `"ON"` (a string) apart, so its own duplicate check misses
    /// them; as environment variable names they are one.
    @Test func duplicateKeysThatYAMLTypesDifferently_areReportedAtTheSecond() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh]\nenv:\n  ON: \"1\"\n  \"ON\": \"2\"\n")
            == ["samples/echo/function.yaml:5: env.ON: appears twice in the same mapping; keep one"])
    }

    @Test func yamlSyntaxError_isReportedAtItsLine() throws {
        #expect(try issues("name: e\ncommand: [./echo.sh\ntimeout: 5s\n") == [
            "samples/echo/function.yaml:3: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2)",
        ])
    }

    @Test func mergeKeys_areApplied_explicitKeysWinning() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("""
                <<: {timeout: 5s, memory: 128Mi}
                name: e
                command: [./echo.sh]
                timeout: 9s
                """, in: project)
            #expect(manifest.timeout == .seconds(9))
            #expect(manifest.memoryBytes == 128 * 1024 * 1024)
        }
    }

    @Test func memoryThatIsNotWholeMiB_isBilledAsTheNextMiBUp() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("name: echo\ncommand: [./echo.sh]\nmemory: 200000Ki\n", in: project)
            #expect(manifest.memoryMB == 196)  // 195.3 MiB enforced
        }
    }

    @Test func timedOutInvocation_isRecordedUpToItsTimeout_notThroughTheKillGrace() throws {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            let manifest = try parse("name: echo\ncommand: [./echo.sh]\ntimeout: 3s\n", in: project)
            #expect(manifest.recordedDurationMicros(measured: 4_001_000, outcome: .timeout) == 3_000_000)
            #expect(manifest.recordedDurationMicros(measured: 2_000_000, outcome: .timeout) == 2_000_000)
            #expect(manifest.recordedDurationMicros(measured: 4_001_000, outcome: .error) == 4_001_000)
        }
    }
}
