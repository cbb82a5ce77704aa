import FlintCore
import FlintRunner
import Foundation
import Testing

/// The exec handler protocol: event in, result out, environment, working directory, session.
@Suite struct ExecRunnerProtocolTests {
    @Test func stdinEvent_isEchoedToStdout() async throws {
        try await withFixture { fixture in
            let event = Data(#"{"hello":"world"}"#.utf8)
            let result = await fixture.run(["/bin/cat"], payload: event)
            #expect(result.record.outcome == .ok)
            #expect(result.record.exitCode == 0)
            #expect(result.record.errorMessage == nil)
            #expect(result.output == event)
            #expect(result.log.isEmpty)
        }
    }

    @Test func record_isFilledFromRequestAndManifest() async throws {
        try await withFixture { fixture in
            let before = Date()
            let request = InvocationRequest(
                function: "test-function", trigger: "uploads", source: .bucket, attempt: 3, payload: Data()
            )
            // cat waits for its stdin, so it is alive for the first memory sample however loaded the
            // machine is; /bin/true can be gone before any (its peak RSS is then 0: not measured).
            let manifest = fixture.manifest(["/bin/cat"], memoryBytes: 128 * 1024 * 1024)
            let result = await fixture.runner.run(request, function: manifest)
            let record = result.record
            #expect(record.id == request.id)
            #expect(record.function == "test-function")
            #expect(record.trigger == "uploads")
            #expect(record.source == .bucket)
            #expect(record.attempt == 3)
            #expect(record.memoryLimitMB == 128)
            #expect(record.coldStart)
            #expect(record.outcome == .ok)
            #expect(record.signal == nil)
            #expect(record.startedAt >= before.addingTimeInterval(-0.001))
            #expect(record.endedAt >= record.startedAt)
            #expect(record.durationMicros > 0)
            #expect(record.peakRSSBytes > 0)
        }
    }

    @Test func environment_isExactlyTheDocumentedSet() async throws {
        let marker = "FLINT_RUNNER_TEST_MARKER_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        setenv(marker, "leaked", 1)
        defer { unsetenv(marker) }
        #expect(getenv(marker) != nil)

        try await withFixture { fixture in
            let before = Date()
            let result = await fixture.run(["/usr/bin/env"], timeout: .seconds(20), environment: ["GREETING": "hello"])
            #expect(result.record.outcome == .ok)
            let variables = Dictionary(
                result.outputText.split(separator: "\n").map { line -> (String, String) in
                    let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                },
                uniquingKeysWith: { first, _ in first }
            )
            let workingDirectory = fixture.workRoot + "/" + result.record.id
            let expected: [String: String] = [
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "TZ": "UTC",
                "HOME": workingDirectory,
                "GREETING": "hello",
                "FLINT_FUNCTION": "test-function",
                "FLINT_INVOCATION_ID": result.record.id,
                "FLINT_SOURCE": "cli",
                "FLINT_ATTEMPT": "2",
                "AWS_LAMBDA_FUNCTION_NAME": "test-function",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                "AWS_REGION": "local",
                "AWS_DEFAULT_REGION": "local",
                "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test-function",
                "LAMBDA_TASK_ROOT": fixture.functionDirectory,
            ]
            #expect(
                Set(variables.keys)
                    == Set(expected.keys).union(["FLINT_DEADLINE_MS", "AWS_LAMBDA_LOG_STREAM_NAME"])
            )
            for (name, value) in expected {
                #expect(variables[name] == value, "\(name)")
            }
            #expect(variables[marker] == nil)

            let deadline = try #require(variables["FLINT_DEADLINE_MS"].flatMap(Int64.init))
            let beforeMillis = Int64(before.timeIntervalSince1970 * 1000)
            #expect(deadline >= beforeMillis + 20_000 - 1)
            #expect(deadline <= Int64(Date().timeIntervalSince1970 * 1000) + 20_000)

            let stream = try #require(variables["AWS_LAMBDA_LOG_STREAM_NAME"])
            #expect(stream.hasSuffix("/[$LATEST]" + result.record.id.replacingOccurrences(of: "-", with: "")))
            #expect(stream.count == "2024/01/02/[$LATEST]".count + 32)
        }
    }

    @Test func manifestEnvironment_cannotOverrideFlintVariables_butMayOverrideDefaults() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(
                ["/usr/bin/env"],
                environment: [
                    "FLINT_FUNCTION": "evil", "FLINT_INVOCATION_ID": "evil", "FLINT_DEADLINE_MS": "1",
                    "FLINT_SOURCE": "evil", "FLINT_ATTEMPT": "99", "AWS_LAMBDA_FUNCTION_NAME": "evil",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1", "LAMBDA_TASK_ROOT": "/evil", "AWS_REGION": "eu-west-1",
                    "PATH": "/opt/tools/bin:/usr/bin:/bin", "HOME": "/custom-home", "TZ": "Europe/Paris",
                    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                ]
            )
            #expect(result.record.outcome == .ok)
            let lines = Set(result.outputText.split(separator: "\n").map(String.init))
            #expect(lines.contains("FLINT_FUNCTION=test-function"))
            #expect(lines.contains("FLINT_INVOCATION_ID=\(result.record.id)"))
            #expect(lines.contains("FLINT_SOURCE=cli"))
            #expect(lines.contains("FLINT_ATTEMPT=2"))
            #expect(lines.contains("AWS_LAMBDA_FUNCTION_NAME=test-function"))
            // The region is the manifest's to choose (SDK calls to AWS); Flint's `local` is a default.
            #expect(lines.contains("AWS_REGION=eu-west-1"))
            #expect(lines.contains("AWS_DEFAULT_REGION=local"))
            #expect(lines.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256"))
            #expect(lines.contains("LAMBDA_TASK_ROOT=\(fixture.functionDirectory)"))
            #expect(!lines.contains("FLINT_DEADLINE_MS=1"))
            #expect(lines.contains("PATH=/opt/tools/bin:/usr/bin:/bin"))
            #expect(lines.contains("HOME=/custom-home"))
            #expect(lines.contains("TZ=Europe/Paris"))
            #expect(lines.contains("AWS_ACCESS_KEY_ID=AKIDEXAMPLE"))
        }
    }

    @Test func invalidManifestVariable_isErrorWithoutStarting() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["/bin/true"], environment: ["A=B": "x"])
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage?.contains("A=B") == true)
            #expect(result.record.exitCode == nil)
        }
    }

    @Test func workingDirectory_isFreshAndRemovedAfterwards() async throws {
        try await withFixture { fixture in
            try fixture.script(
                "handler.sh",
                """
                #!/bin/sh
                pwd
                ls -A
                echo data > file.txt
                mkdir -p locked/inner && echo x > locked/inner/f && chmod 555 locked/inner && chmod 0 locked
                ln -s "$LAMBDA_TASK_ROOT" function-link
                chmod 500 .
                """
            )
            #expect(!FileManager.default.fileExists(atPath: fixture.workRoot))
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .ok, "\(result.record.errorMessage ?? "") \(result.logText)")
            let workingDirectory = fixture.workRoot + "/" + result.record.id
            // `pwd` and an empty `ls -A`: the directory was fresh.
            #expect(result.outputText == workingDirectory + "\n")
            #expect(!FileManager.default.fileExists(atPath: workingDirectory))
            // The symlink was removed, not followed.
            #expect(FileManager.default.fileExists(atPath: fixture.functionDirectory + "/handler.sh"))
            // The work root was created, private.
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.workRoot)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            #expect(fixture.workRootEntries() == [])
        }
    }

    @Test func workingDirectory_isRemovedAfterFailureToo() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\nmkdir -p a/b/c && touch a/b/c/f\nexit 1\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .error)
            #expect(fixture.workRootEntries() == [])
        }
    }

    @Test func handler_runsInItsOwnSessionAndProcessGroup() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\necho $$\ncat /proc/$$/stat\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .ok)
            let lines = result.outputText.split(separator: "\n")
            try #require(lines.count == 2)
            let pid = String(lines[0])
            let stat = lines[1]
            let nameEnd = try #require(stat.lastIndex(of: ")"))
            // After "(comm)": state, ppid, pgrp, session.
            let fields = stat[stat.index(after: nameEnd)...].split(separator: " ").map(String.init)
            #expect(fields[2] == pid)
            #expect(fields[3] == pid)
        }
    }

    @Test func handler_startsWithDefaultSignalsAndNothingBlocked() async throws {
        try await withFixture { fixture in
            // The test process (like the daemon) ignores SIGPIPE once a runner exists.
            let result = await fixture.run(["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"])
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")
        }
    }

    @Test func handler_inheritsOnlyStdio() async throws {
        try await withFixture { fixture in
            // A descriptor of the daemon's that is not close-on-exec.
            let leaked = open("/dev/null", O_RDONLY)
            try #require(leaked >= 0)
            let high = dup2(leaked, 900)
            close(leaked)
            defer { close(high) }
            let result = await fixture.run(["/bin/ls", "/proc/self/fd"])
            #expect(result.record.outcome == .ok)
            // 3 is the directory ls itself opens to list.
            #expect(result.outputText.split(separator: "\n") == ["0", "1", "2", "3"])
        }
    }

    /// This process's RLIMIT_NPROC as /proc/self/limits shows it.
    private func inheritedProcessLimit() -> ArraySlice<String> {
        var own = rlimit()
        getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &own)
        return ArraySlice([own.rlim_cur, own.rlim_max].map { $0 == rlim_t.max ? "unlimited" : String($0) })
    }

    @Test func limits_areApplied() async throws {
        try await withFixture(settings: ExecRunnerSettings(openFiles: 256, processes: 100)) { fixture in
            let result = await fixture.run(
                ["/bin/cat", "/proc/self/limits"], timeout: .seconds(3), memoryBytes: 64 * 1024 * 1024
            )
            #expect(result.record.outcome == .ok)
            let rows = Dictionary(
                result.outputText.split(separator: "\n").dropFirst().map { line -> (String, [String]) in
                    let name = String(line.prefix(26)).trimmingCharacters(in: .whitespaces)
                    return (name, line.dropFirst(26).split(separator: " ").map(String.init))
                },
                uniquingKeysWith: { first, _ in first }
            )
            #expect(rows["Max data size"]?.prefix(2) == ["67108864", "67108864"])
            #expect(rows["Max open files"]?.prefix(2) == ["256", "256"])
            // Not RLIMIT_NPROC: the handler runs as the test's own user, whose every task it would count.
            #expect(rows["Max processes"]?.prefix(2) == inheritedProcessLimit())
            #expect(rows["Max core file size"]?.prefix(2) == ["0", "0"])
            let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
            #expect(rows["Max cpu time"]?.prefix(2) == ["\(3 * cpus)", "\(3 * cpus + 1)"])
            // Not RLIMIT_AS: runtimes reserve address space they never use.
            #expect(rows["Max address space"]?.first == "unlimited")
        }
    }

    @Test func relativeArguments_resolveAgainstFunctionDirectory() async throws {
        try await withFixture { fixture in
            try fixture.script("args.sh", "#!/bin/sh\necho \"$0\"\nfor a in \"$@\"; do echo \"$a\"; done\n")
            let result = await fixture.run(["./args.sh", "./data.txt", "../sibling", "plain", "/abs", "-x"])
            #expect(result.record.outcome == .ok)
            let dir = fixture.functionDirectory
            #expect(
                result.outputText.split(separator: "\n").map(String.init)
                    == ["\(dir)/args.sh", "\(dir)/data.txt", "\(dir)/../sibling", "plain", "/abs", "-x"]
            )
        }
    }

    @Test func bareCommand_isSearchedOnHandlerPath() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["printf", "%s", "found"])
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == "found")
        }
    }
}
