import FlintCore
import FlintRunner
import Foundation
import Testing

/// Handlers that fail or cannot start: always an `error` outcome with a reason, never a throw.
@Suite struct ExecRunnerFailureTests {
    @Test func nonZeroExit_isErrorWithStatus() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\necho partial\necho 'bad input' >&2\nexit 3\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .error)
            #expect(result.record.exitCode == 3)
            #expect(result.record.signal == nil)
            #expect(result.record.errorMessage == "exit status 3")
            #expect(result.outputText == "partial\n")
            #expect(result.logText == "bad input\n")
        }
    }

    @Test func signal_isErrorNamingTheSignal() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\nkill -SEGV $$\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .error)
            #expect(result.record.exitCode == nil)
            #expect(result.record.signal == SIGSEGV)
            #expect(result.record.errorMessage == "killed by signal 11 (SIGSEGV)")
        }
    }

    @Test func missingExecutable_isErrorNamingIt() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["./no-such-handler", "arg"])
            #expect(result.record.outcome == .error)
            #expect(result.record.exitCode == nil)
            #expect(
                result.record.errorMessage
                    == "cannot execute \(fixture.functionDirectory)/no-such-handler: No such file or directory"
            )
            // Nothing ran: nothing to bill, and no cold start.
            #expect(result.record.durationMicros == 0)
            #expect(result.record.billedMillis == 0)
            #expect(!result.record.coldStart)
            #expect(fixture.workRootEntries() == [])
        }
    }

    @Test func fileWithoutExecuteBit_isErrorNamingIt() async throws {
        try await withFixture { fixture in
            let path = fixture.functionDirectory + "/handler.sh"
            try "#!/bin/sh\necho hi\n".write(toFile: path, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "cannot execute \(path): Permission denied")
        }
    }

    @Test func bareCommandNotOnPath_isErrorNamingIt() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["no-such-command-anywhere"])
            #expect(result.record.outcome == .error)
            #expect(
                result.record.errorMessage
                    == "no-such-command-anywhere: not found on PATH (/usr/local/bin:/usr/bin:/bin)"
            )
        }
    }

    @Test func emptyCommand_isError() async throws {
        try await withFixture { fixture in
            let result = await fixture.run([])
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "the command is empty")
        }
    }

    @Test func runner_keepsWorkingAfterManyFailures() async throws {
        try await withFixture { fixture in
            for _ in 0..<20 {
                let result = await fixture.run(["./missing"])
                #expect(result.record.outcome == .error)
            }
            let result = await fixture.run(["/bin/cat"], payload: Data("still fine".utf8))
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == "still fine")
        }
    }
}
