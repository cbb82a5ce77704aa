import FlintCore
import FlintRunner
import Foundation
import NIOCore
import NIOPosix
import Testing

/// An invocation made on one of NIO's event loops (as every HTTP request is) keeps to that loop:
/// a new instance listens there, and an idle instance of that loop is taken before one of
/// another loop, so the request and the instance's Runtime API exchange share one thread.
@Suite struct LambdaLoopAffinityTests {
    static var loops: [any EventLoop] { Array(MultiThreadedEventLoopGroup.singleton.makeIterator()) }

    @Test(.enabled(if: loops.count >= 2, "needs two event loops; NIO starts one per core"))
    func invocationOnAnEventLoop_takesTheIdleInstanceOfThatLoop() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(concurrency: 2)
            let (first, second) = (Self.loops[0], Self.loops[1])
            // Two at once: each cold-starts an instance, on its own caller's loop.
            async let onFirst = Self.invoke(fixture, function, on: first, ["action": "sleep", "seconds": 0.3])
            async let onSecond = Self.invoke(fixture, function, on: second, ["action": "sleep", "seconds": 0.3])
            let (startedOnFirst, startedOnSecond) = try await (onFirst, onSecond)
            let firstPID = try startedOnFirst.reportedPID()
            let secondPID = try startedOnSecond.reportedPID()
            #expect(startedOnFirst.record.coldStart && startedOnSecond.record.coldStart)
            #expect(firstPID != secondPID)

            // Taking turns: without the preference, each would get the instance released last.
            for _ in 0 ..< 3 {
                #expect(try await Self.invoke(fixture, function, on: first).reportedPID() == firstPID)
                #expect(try await Self.invoke(fixture, function, on: second).reportedPID() == secondPID)
            }
            #expect(fixture.instancePIDs().count == 2)
        }
    }

    private static func invoke(
        _ fixture: LambdaFixture, _ function: FunctionManifest, on loop: any EventLoop, _ event: [String: Any] = [:]
    ) async throws -> InvocationResult {
        let payload = try JSONSerialization.data(withJSONObject: event)
        return await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            await fixture.runner.run(InvocationRequest(id: InvocationRequest.newID(), function: function.name, source: .cli, payload: payload), function: function)
        }
    }
}
