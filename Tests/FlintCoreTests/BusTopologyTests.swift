import FlintCore
import Testing

@Suite struct BusTopologyTests {
    private func trigger(_ name: String, _ function: String, _ source: TriggerSource) -> TriggerDefinition {
        TriggerDefinition(name: name, location: SourceLocation(file: "triggers/\(name).yaml", line: 1), function: function, source: source)
    }

    private func project(_ triggers: [TriggerDefinition]) -> Project {
        let functions = ["thumbnail", "archive"].map { FunctionManifest(name: $0, directory: "/p/functions/\($0)", command: ["./run"]) }
        return Project(
            root: "/p", config: FlintConfig(), functions: Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0) }), triggers: triggers
        )
    }

    @Test func eachBucketTrigger_getsItsOwnJSONTopicAndSubscription_evenOnTheSameBucket() {
        let images = BucketTrigger(bucket: "uploads", events: [.created], prefix: "images/", suffix: "")
        let all = BucketTrigger(bucket: "uploads", events: [.created, .removed], prefix: "", suffix: "")
        let topology = BusTopology(project: project([
            trigger("thumbs", "thumbnail", .bucket(images)),
            trigger("thumbs#2", "archive", .bucket(all)),
        ]))
        #expect(BusTopology.bucketTopic("thumbs") == "flint.bucket.thumbs")
        #expect(topology.topics["flint.bucket.thumbs"] == .json)
        #expect(topology.topics["flint.bucket.thumbs#2"] == .json)
        let bucketSubscriptions = topology.subscriptions.filter { $0.name.hasPrefix("flint.bucket.") }
        #expect(bucketSubscriptions == [
            .init(name: "flint.bucket.thumbs", topic: "flint.bucket.thumbs", function: "thumbnail", origin: .bucket(trigger: "thumbs")),
            .init(name: "flint.bucket.thumbs#2", topic: "flint.bucket.thumbs#2", function: "archive", origin: .bucket(trigger: "thumbs#2")),
        ])
        // The bucket itself is no topic: only triggers are.
        #expect(topology.topics["uploads"] == nil)
    }

    @Test func everyOrigin_hasItsTopic() throws {
        let topology = BusTopology(project: project([
            trigger("jobs", "archive", .queue(QueueTrigger(topic: "jobs", batch: 5, window: .seconds(1)))),
            trigger("nightly", "archive", .schedule(ScheduleTrigger(rule: .every(.seconds(60))))),
            trigger("web", "archive", .http(HTTPTrigger(method: "GET", path: try RoutePattern("/x"), auth: .none))),
            trigger("drop", "thumbnail", .bucket(BucketTrigger(bucket: "in", events: [.created], prefix: "", suffix: ""))),
        ]))
        #expect(topology.topics == [
            "flint.invoke.archive": .text, "flint.invoke.thumbnail": .text, "jobs": .text,
            "flint.schedule.nightly": .json, "flint.bucket.drop": .json,
        ])
        #expect(topology.subscriptions.map(\.origin) == [
            .asynchronousInvocations, .asynchronousInvocations,
            .queue(trigger: "jobs", batch: 5, window: .seconds(1)), .schedule(trigger: "nightly"), .bucket(trigger: "drop"),
        ])
    }

    @Test func describeSubscription_namesWhatEachSubscriptionStandsFor() {
        #expect(BusTopology.describeSubscription("orders") == "queue trigger orders")
        #expect(BusTopology.describeSubscription("flint.bucket.drop") == "bucket trigger drop")
        #expect(BusTopology.describeSubscription("flint.schedule.nightly") == "schedule trigger nightly")
        #expect(BusTopology.describeSubscription("flint.invoke.archive") == "asynchronous invocations of function archive")
    }
}
