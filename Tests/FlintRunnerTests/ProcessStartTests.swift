import Foundation
import Testing

@testable import FlintRunner

/// Telling a running process from one that has exited, or from a later one given its pid.
struct ProcessStartTests {
    @Test func aProcess_isRunning_untilItExits_evenBeforeItIsReaped() throws {
        let child = try UnreapedChild(["/bin/sleep", "60"])
        defer { child.reap() }
        let ticks = try #require(ProcessStart.ticks(of: child.pid))
        #expect(ProcessStart.isRunning(child.pid, startedAt: ticks))
        #expect(ProcessStart.isRunning(identity: "\(child.pid)-\(ticks)-1"))
        #expect(!ProcessStart.isRunning(child.pid, startedAt: ticks + 1), "another start: a later process given the pid")

        try #require(child.killLeavingAZombie(), "the killed child stays a zombie until it is reaped")
        #expect(ProcessStart.ticks(of: child.pid) == ticks, "a zombie keeps its start")
        #expect(!ProcessStart.isRunning(child.pid, startedAt: ticks), "a zombie is not running")
        #expect(!ProcessStart.isRunning(identity: "\(child.pid)-\(ticks)-1"))
        #expect(!ProcessStart.isLive(child.pid))
    }
}
