import FlintCore
import FlintDispatch
@testable import FlintServer
import Testing

@Suite struct BusSubscriptionsTests {
    @Test func eachOrigin_givesItsSourceShapeAndTrigger() {
        let topology = BusTopology(topics: [:], subscriptions: [
            .init(name: "jobs", topic: "jobs", function: "worker", origin: .queue(trigger: "jobs", batch: 10, window: .seconds(2))),
            .init(name: "flint.invoke.worker", topic: "flint.invoke.worker", function: "worker", origin: .asynchronousInvocations),
            .init(name: "flint.schedule.nightly", topic: "flint.schedule.nightly", function: "report", origin: .schedule(trigger: "nightly")),
            .init(name: "flint.bucket.thumbs", topic: "flint.bucket.thumbs", function: "thumbnail", origin: .bucket(trigger: "thumbs")),
        ])
        #expect(BusSubscriptions.of(topology) == [
            BusSubscription(name: "jobs", function: "worker", trigger: "jobs", source: .queue, shape: .sqs(batch: 10, window: .seconds(2))),
            BusSubscription(
                name: "flint.invoke.worker", function: "worker", trigger: nil, source: .lambda, shape: .event, sendsDestinations: true
            ),
            BusSubscription(name: "flint.schedule.nightly", function: "report", trigger: "nightly", source: .schedule, shape: .event),
            BusSubscription(
                name: "flint.bucket.thumbs", function: "thumbnail", trigger: "thumbs", source: .bucket, shape: .event, sendsDestinations: true
            ),
        ])
    }
}
