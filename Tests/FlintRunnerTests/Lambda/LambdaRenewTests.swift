import FlintCore
import FlintRunner
import Foundation
import Testing

/// `renew` (a reload): the instances alive then are retired, idle ones at once and busy ones when
/// their invocation ends, while they still count against the function's concurrency. The figures
/// come from the handler processes (their pids, and how many of them they see alive).
@Suite struct LambdaRenewTests {
    @Test func renew_stopsIdleAtOnce_busyAfterTheirInvocation_withinConcurrency() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(concurrency: 2)
            // Two instances, both idle.
            let warm = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0 ..< 2 {
                    group.addTask { try await fixture.invoke(function, ["action": "sleep", "seconds": 0.3]).reportedPID() }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            #expect(warm.count == 2)
            let held = Task { try await fixture.invoke(function, ["action": "hold", "seconds": 1.0]) }
            #expect(await eventually { FileManager.default.fileExists(atPath: fixture.root + "/held") })

            fixture.runner.renew()

            // The idle one stops at once, the busy one keeps running its invocation.
            #expect(await eventually { warm.filter(isGone).count == 1 })
            let idle = try #require(warm.first(where: isGone))
            let busy = try #require(warm.first(where: { !isGone($0) }))
            // New invocations meanwhile get new instances, but never more than two alive at once,
            // the busy retired one included.
            let next = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
                for _ in 0 ..< 3 {
                    group.addTask { try await fixture.invoke(function, ["action": "sleep", "seconds": 0.2]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(next.allSatisfy { $0.record.outcome == .ok })
            let alive = try next.map { try $0.report()["alive"] as? Int ?? .max }
            #expect(alive.allSatisfy { $0 <= 2 }, "instances alive at once, as each handler saw them: \(alive)")
            #expect(try next.allSatisfy { try !warm.contains($0.reportedPID()) })
            #expect(next.contains { $0.record.coldStart })

            // The busy one finishes its invocation, then exits instead of going idle.
            let finished = try await held.value
            #expect(finished.record.outcome == .ok)
            #expect(try finished.reportedPID() == busy)
            #expect(await eventually { isGone(busy) })
            #expect(isGone(idle))
            #expect(await eventually { fixture.runner.instances(of: function.name) <= 2 })
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok)
            #expect(try !warm.contains(after.reportedPID()))
        }
    }

    @Test func renew_nextInvocation_startsANewInstance() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function()
            let before = try await fixture.invoke(function).reportedPID()
            fixture.runner.renew()
            #expect(await eventually { isGone(before) })
            let after = try await fixture.invoke(function)
            #expect(after.record.outcome == .ok && after.record.coldStart)
            #expect(try after.reportedPID() != before)
            #expect(fixture.runner.instances(of: function.name) == 1)
        }
    }

    @Test func renew_busyInstanceWithConcurrencyOne_isReplacedOnlyAfterItExits() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(concurrency: 1)
            let held = Task { try await fixture.invoke(function, ["action": "hold", "seconds": 0.5]) }
            #expect(await eventually { FileManager.default.fileExists(atPath: fixture.root + "/held") })
            fixture.runner.renew()
            let next = try await fixture.invoke(function)
            let busy = try await held.value.reportedPID()
            #expect(next.record.outcome == .ok && next.record.coldStart)
            #expect(try next.reportedPID() != busy)
            #expect(try next.report()["alive"] as? Int == 1)
            #expect(isGone(busy))
        }
    }

    @Test func waiterForAnotherManifest_getsANewInstance_notTheReleasedOne() async throws {
        try await withLambdaFixture { fixture in
            let old = fixture.function(concurrency: 1, environment: ["VERSION": "1"])
            let held = Task { try await fixture.invoke(old, ["action": "hold", "seconds": 0.5]) }
            #expect(await eventually { FileManager.default.fileExists(atPath: fixture.root + "/held") })
            let new = try await fixture.invoke(fixture.function(concurrency: 1, environment: ["VERSION": "2"]))
            let oldPID = try await held.value.reportedPID()
            #expect((try new.report()["env"] as? [String: String])?["VERSION"] == "2")
            #expect(try new.reportedPID() != oldPID)
            #expect(try new.report()["alive"] as? Int == 1)
        }
    }
}
