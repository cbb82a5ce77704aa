import FlintCore
@testable import FlintDispatch
import Foundation
import Testing

@Suite struct LoopGuardTests {
    static let function = FunctionManifest(name: "resize", directory: "/tmp", command: ["cat"], retries: 5)

    @Test func depthsBelowTheLimit_run() {
        for depth in [0, 1, CausationDepth.limit - 1] {
            let request = InvocationRequest(function: "resize", source: .bucket, payload: Data(), depth: depth)
            #expect(LoopGuard.stop(request, function: Self.function) == nil)
        }
    }

    @Test func theLimit_isNotRun_andSaysWhy() throws {
        let request = InvocationRequest(function: "resize", trigger: "uploads", source: .bucket, attempt: 2, payload: Data(), depth: CausationDepth.limit)
        let result = try #require(LoopGuard.stop(request, function: Self.function))
        #expect(result.record.outcome == .loopStopped)
        #expect(result.record.id == request.id)
        #expect(result.record.trigger == "uploads")
        #expect(result.record.durationMicros == 0)
        #expect(result.record.errorMessage?.contains("depth 16") == true)
    }

    /// A stopped loop is dead at once: retrying would only stop it again.
    @Test func aStoppedDelivery_isDead_withoutRetries() throws {
        let subscription = BusSubscription(name: "flint.bucket.uploads", function: "resize", trigger: "uploads", source: .bucket, shape: .event)
        let lease = BusDeliveryTests.lease(
            "m1", body: "{}", delivery: 1, topic: "flint.bucket.uploads",
            attributes: [BusDelivery.objectPathAttribute: "/srv/buckets/uploads/a.jpg"], depth: CausationDepth.limit
        )
        let delivery = BusDelivery(subscription: subscription, leases: [lease])
        let request = delivery.request(identity: BusDeliveryTests.identity)
        #expect(request.depth == CausationDepth.limit)
        #expect(request.objectPath == "/srv/buckets/uploads/a.jpg")
        let stopped = try #require(LoopGuard.stop(request, function: Self.function))
        let (settlements, _) = delivery.settle(stopped, function: Self.function, policy: RetryPolicy(base: .seconds(1), max: .seconds(60)), identity: BusDeliveryTests.identity)
        guard case .dead(let error) = settlements.first?.verdict else {
            Issue.record("expected a dead letter, got \(String(describing: settlements.first?.verdict))")
            return
        }
        #expect(error.contains("depth"))
    }
}
