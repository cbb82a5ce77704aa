import FlintCore
import FlintRunner
import Foundation
import Logging
import Testing

/// Warm instances get the handler isolation exec handlers get: the handler user, and a cgroup of
/// their own whose OOM kill is the running invocation's `oom`.
@Suite struct LambdaIsolationTests {
    @Test(.enabled(if: IsolationAvailability.isRoot, "needs root: only root can run handlers as another user"))
    func instance_runsAsTheHandlerUser() async throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(cgroups: false), logger: Logger(label: "flint.lambda.tests"))
        let user = try #require(isolation.user)
        try await withLambdaFixture(isolation: isolation) { fixture in
            let result = try await fixture.invoke(fixture.function())
            #expect(try result.report()["uid"] as? Int == Int(user.uid))
            // Another user than the daemon's: RLIMIT_NPROC (without a pids cgroup) counts only
            // the handler user's tasks.
            #expect(try result.report()["nproc"] as? [Int] == [512, 512])
        }
    }

    @Test func instanceAsTheDaemonsUser_inheritsRLIMIT_NPROC() async throws {
        // RLIMIT_NPROC counts every task of the user, the daemon's (here the test's) included: a
        // limit of 512 could make every fork in the handler fail.
        var own = rlimit()
        getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &own)
        let inherited = [own.rlim_cur, own.rlim_max].map { limit -> Int in limit == rlim_t.max ? -1 : Int(limit) }
        try await withLambdaFixture(settings: ExecRunnerSettings(processes: 512)) { fixture in
            let result = try await fixture.invoke(fixture.function())
            #expect(result.record.outcome == .ok)
            #expect(try result.report()["nproc"] as? [Int] == inherited)
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func memoryOverTheLimit_isOOM_andTheInstanceIsReplaced() async throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.lambda.tests"))
        try await withLambdaFixture(isolation: isolation) { fixture in
            let function = fixture.function(memoryBytes: 64 * 1024 * 1024)
            let before = try await fixture.invoke(function).reportedPID()
            let hog = try await fixture.invoke(function, ["action": "hog", "mib": 256])
            #expect(hog.record.outcome == .oom, "\(hog.record.errorMessage ?? "-")")
            #expect(hog.record.errorMessage?.hasPrefix("out of memory: the instance reached its 64Mi memory limit") == true)
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok)
            #expect(try after.reportedPID() != before)
        }
    }

    /// With a cgroup, an instance's peak memory is every process's: a child that used 48 MiB
    /// shows, where the runtime process's own VmHWM would not.
    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func peakMemory_countsTheInstancesChildren() async throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.lambda.tests"))
        try await withLambdaFixture(isolation: isolation) { fixture in
            let function = fixture.function(memoryBytes: 256 * 1024 * 1024)
            let hogged = try await fixture.invoke(function, ["action": "child-hog", "mib": 48])
            #expect(hogged.record.outcome == .ok, "\(hogged.record.errorMessage ?? "-")")
            try await Task.sleep(for: .milliseconds(20))  // past InstanceMemory's interval between reads
            let after = try await fixture.invoke(function)
            #expect(after.record.peakRSSBytes >= 48 * 1024 * 1024, "peak \(after.record.peakRSSBytes) bytes")
        }
    }

    /// The instance's cgroup counts OOM kills over its whole life: one that ended a child in an
    /// earlier invocation does not make a later, unrelated exit of the runtime `oom`.
    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func childKilledByTheOOMKillerEarlier_doesNotMakeALaterCrashOOM() async throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.lambda.tests"))
        try await withLambdaFixture(isolation: isolation) { fixture in
            let function = fixture.function(memoryBytes: 64 * 1024 * 1024)
            let hogged = try await fixture.invoke(function, ["action": "child-hog", "mib": 256])
            #expect(hogged.record.outcome == .ok, "\(hogged.record.errorMessage ?? "-")")
            let crashed = try await fixture.invoke(function, ["action": "crash"])
            #expect(crashed.record.outcome == .error)
            #expect(crashed.record.errorMessage?.hasPrefix("the runtime exited (exit status 7) while handling the invocation") == true, "\(crashed.record.errorMessage ?? "-")")
        }
    }
}
