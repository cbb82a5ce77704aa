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
}
