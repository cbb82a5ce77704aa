import FlintCore
import FlintRunner
import Foundation
import Testing

/// Warm instances: started on demand, reused, stopped after idle, replaced after a crash or a
/// timeout, never more than the function's concurrency. Every figure comes from the handler
/// processes themselves (their pids, and how many of them they see alive).
@Suite struct LambdaPoolTests {
    @Test func warmInstance_isReused_samePIDAcrossInvocations() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let first = try await fixture.invoke(function)
            let second = try await fixture.invoke(function)
            let third = try await fixture.invoke(function)
            #expect(first.record.outcome == .ok)
            #expect(try first.reportedPID() == second.reportedPID())
            #expect(try second.reportedPID() == third.reportedPID())
            #expect(first.record.coldStart)
            #expect(first.record.initDurationMicros.map { $0 > 0 } == true)
            #expect(!second.record.coldStart)
            #expect(second.record.initDurationMicros == nil)
            // The instance's high-water mark: a Python process is several MiB.
            #expect(first.record.peakRSSBytes > 1024 * 1024)
            #expect(third.record.peakRSSBytes >= first.record.peakRSSBytes)
            #expect(fixture.instancePIDs().count == 1)
            #expect(fixture.runner.instances(of: function.name) == 1)
        }
    }

    @Test func cpuTime_isTheInvocationsShare_ofTheInstances() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            _ = try await fixture.invoke(function)
            let burnt = try await fixture.invoke(function, ["action": "burn", "seconds": 0.3])
            let cpu = burnt.record.userCPUMicros + burnt.record.systemCPUMicros
            #expect(cpu >= 280_000 && cpu < 1_000_000, "\(cpu) µs")
            let idle = try await fixture.invoke(function, ["action": "sleep", "seconds": 0.2])
            #expect(idle.record.userCPUMicros + idle.record.systemCPUMicros < 100_000)
        }
    }

    @Test func cpuTime_includesWhatTheRuntimesChildrenSpent() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            _ = try await fixture.invoke(function)
            let burnt = try await fixture.invoke(function, ["action": "child-burn", "seconds": 0.3])
            #expect(burnt.record.outcome == .ok)
            let cpu = burnt.record.userCPUMicros + burnt.record.systemCPUMicros
            #expect(cpu >= 280_000 && cpu < 1_500_000, "\(cpu) µs")
        }
    }

    @Test func idleInstance_isStopped_afterIdle() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(idle: .milliseconds(300))
            let pid = try await fixture.invoke(function).reportedPID()
            #expect(!isGone(pid))
            // Scale to zero: gone after idle (how soon, idle + 1 s at most, is lambda-bench's to
            // measure; a bound here only keeps a busy machine from failing the test).
            #expect(await eventually(within: .seconds(10)) { isGone(pid) })
            #expect(await eventually(within: .seconds(1)) { fixture.runner.instances(of: function.name) == 0 })
            // And the next invocation starts a fresh one.
            let next = try await fixture.invoke(function)
            #expect(try next.reportedPID() != pid)
            #expect(next.record.coldStart)
        }
    }

    @Test func runtimeAPIConnections_areClosedWhenTheInstanceEnds_evenIfAnEscapedProcessHoldsOne() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(idle: .milliseconds(200))
            let leaking = try await fixture.invoke(function, ["action": "leak"])
            #expect(leaking.record.outcome == .ok)
            // The runtime is stopped after idle; its escaped child keeps the connection's socket.
            let closed = fixture.root + "/leak-closed", open = fixture.root + "/leak-open"
            let ended = await eventually(within: .seconds(35)) {
                FileManager.default.fileExists(atPath: closed) || FileManager.default.fileExists(atPath: open)
            }
            #expect(ended)
            #expect(FileManager.default.fileExists(atPath: closed), "Flint closed its end of the connection")
        }
    }

    @Test func crashedInstance_failsItsInvocation_andIsReplaced() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let before = try await fixture.invoke(function).reportedPID()
            let crashed = try await fixture.invoke(function, ["action": "crash"])
            #expect(crashed.record.outcome == .error)
            #expect(crashed.record.errorMessage == "the runtime exited (exit status 7) while handling the invocation")
            #expect(crashed.logText.contains("handling \(crashed.record.id)"))
            #expect(isGone(before))
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok)
            #expect(try after.reportedPID() != before)
            #expect(after.record.coldStart)
        }
    }

    @Test func timeout_killsTheInstance_andTheNextInvocationGetsAFreshOne() async throws {
        try await withLambdaFixture(settings: .init(killGrace: .milliseconds(200))) { fixture in
            let function = fixture.function(timeout: .milliseconds(700))
            let before = try await fixture.invoke(function).reportedPID()
            let started = ContinuousClock.now
            let hung = try await fixture.invoke(function, ["action": "hang"])
            #expect(hung.record.outcome == .timeout)
            #expect(hung.record.errorMessage == "killed after 700ms timeout")
            #expect(ContinuousClock.now - started < .seconds(5))
            // Answered only once the process group is gone.
            #expect(isGone(before))
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok)
            #expect(try after.reportedPID() != before)
        }
    }

    @Test func runtimeThatNeverAsksAgain_timesOutTheNextInvocation_andIsReplaced() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(timeout: .milliseconds(700))
            let stalled = try await fixture.invoke(function, ["action": "stall"])
            #expect(stalled.record.outcome == .ok)
            let waited = try await fixture.invoke(function)
            #expect(waited.record.outcome == .timeout)
            #expect(waited.record.errorMessage == "the runtime did not ask for the invocation within the 700ms timeout")
            #expect(isGone(try stalled.reportedPID()))
            let fresh = try await fixture.invoke(function)
            #expect(fresh.record.outcome == .ok && fresh.record.coldStart)
        }
    }

    @Test func instanceThatEndsWhileIdle_withAnInvocationWaiting_handsItToAFreshInstance() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let first = try await fixture.invoke(function, ["action": "answer-then-exit"])
            #expect(first.record.outcome == .ok)
            // Taken by the same instance (still idle), which then exits without having been given it.
            let next = try await fixture.invoke(function)
            #expect(next.record.outcome == .ok, "\(next.record.errorMessage ?? "")")
            #expect(next.record.coldStart)
            #expect(try next.reportedPID() != first.reportedPID())
        }
    }

    @Test func instanceKilledWhileIdle_isReplacedByTheNextInvocation() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let before = try await fixture.invoke(function).reportedPID()
            kill(before, SIGKILL)
            #expect(await eventually { fixture.runner.instances(of: function.name) == 0 })
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok && after.record.coldStart)
            #expect(try after.reportedPID() != before)
        }
    }

    @Test func cancelledInvocation_killsItsInstance() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let before = try await fixture.invoke(function).reportedPID()
            let hung = Task { try await fixture.invoke(function, ["action": "hang"]) }
            // The runtime leaves a file once it has the event.
            #expect(await eventually { FileManager.default.fileExists(atPath: fixture.root + "/busy") })
            hung.cancel()
            let result = try await hung.value
            #expect(result.record.outcome == .killed)
            #expect(isGone(before))
        }
    }

    @Test func concurrency_isNeverExceeded_observedByTheProcesses() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(concurrency: 2)
            let results = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
                for _ in 0 ..< 8 {
                    group.addTask { try await fixture.invoke(function, ["action": "sleep", "seconds": 0.15]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.record.outcome == .ok })
            let alive = try results.map { try $0.report()["alive"] as? Int ?? .max }
            #expect(alive.allSatisfy { $0 <= 2 }, "instances alive at once, as each handler saw them: \(alive)")
            #expect(Set(try results.map { try $0.reportedPID() }).count <= 2)
            #expect(fixture.instancePIDs().count <= 2)
            #expect(results.filter(\.record.coldStart).count <= 2)
        }
    }

    @Test func exitBeforeAskingForWork_isAnInitFailure() async throws {
        try await withLambdaFixture { fixture in
            let result = try await fixture.invoke(fixture.function(start: "exit"))
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage == "init failed: the runtime exited (exit status 3) before asking for work; its log (flint logs) says why")
            #expect(result.logText.contains("giving up before asking for work"))
            #expect(result.record.coldStart)
            #expect(fixture.runner.instances(of: "warm") == 0)
        }
    }

    @Test func initError_isAnInitFailure_andTheProcessIsStopped() async throws {
        try await withLambdaFixture(settings: .init(killGrace: .seconds(2))) { fixture in
            let result = try await fixture.invoke(fixture.function(start: "init-error"))
            #expect(result.record.outcome == .error)
            // Init ended with the report: the grace given to exit (2 s here) is not part of it.
            let initDuration = try #require(result.record.initDurationMicros)
            #expect(initDuration < 2_000_000, "\(initDuration) µs")
            #expect(result.record.errorMessage == "init failed: Runtime.ImportModuleError: No module named 'app'")
            // The runtime's own document is the answer, as Lambda's: callers check its errorType.
            let document = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
            #expect(document?["errorType"] as? String == "Runtime.ImportModuleError")
            #expect(document?["errorMessage"] as? String == "No module named 'app'")
            #expect(result.logText.contains(#"init error answered 202 {"status":"OK"}"#))
            #expect(fixture.instancePIDs().allSatisfy(isGone))
        }
    }

    @Test func slowInit_longerThanTheTimeout_isNotATimeout() async throws {
        // Lambda gives init 10 s of its own; the timeout starts with the event.
        try await withLambdaFixture { fixture in
            var function = fixture.function(start: "slow", timeout: .milliseconds(500))
            function.environment["START_DELAY"] = "1.2"
            let result = try await fixture.invoke(function)
            #expect(result.record.outcome == .ok, "\(result.record.errorMessage ?? "-")")
            #expect(result.record.coldStart)
            #expect((result.record.initDurationMicros ?? 0) >= 1_200_000)
            #expect(function.initLimit == .seconds(10))
        }
    }

    @Test func unstartableCommand_failsWithTheReason() async throws {
        try await withLambdaFixture { fixture in
            var function = fixture.function()
            function.command = ["./missing-runtime"]
            let result = try await fixture.invoke(function)
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage?.hasPrefix("init failed: cannot execute") == true)
        }
    }

    @Test func invalidEnvironment_failsTheColdStart_withTheReason() async throws {
        try await withLambdaFixture { fixture in
            let result = try await fixture.invoke(fixture.function(environment: ["BAD=NAME": "x"]))
            #expect(result.record.outcome == .error)
            #expect(result.record.errorMessage?.hasPrefix("init failed: cannot start the instance") == true, "\(result.record.errorMessage ?? "-")")
            #expect(result.record.coldStart)
            #expect(fixture.instancePIDs().isEmpty)
            #expect(fixture.runner.instances(of: "warm") == 0)
        }
    }

    @Test func changedManifest_replacesTheIdleInstance() async throws {
        try await withLambdaFixture { fixture in
            let before = try await fixture.invoke(fixture.function(environment: ["VERSION": "1"])).reportedPID()
            let after = try await fixture.invoke(fixture.function(environment: ["VERSION": "2"]))
            #expect(try after.reportedPID() != before)
            #expect((try after.report()["env"] as? [String: String])?["VERSION"] == "2")
            #expect(await eventually { isGone(before) })
        }
    }
}
