extension BusTopology {
    /// The topic (and subscription) that carries asynchronous invocations of `function`.
    public static func invokeTopic(_ function: String) -> String { "flint.invoke.\(function)" }

    /// The topic (and subscription) that carries the ticks of schedule trigger `trigger`.
    public static func scheduleTopic(_ trigger: String) -> String { "flint.schedule.\(trigger)" }

    /// The topic (and subscription) that carries the object events of bucket trigger `trigger`.
    /// One per trigger, not per bucket: each trigger filters, retries and dead-letters its own.
    public static func bucketTopic(_ trigger: String) -> String { "flint.bucket.\(trigger)" }

    /// What a subscription named `name` stands for, for people: `queue trigger orders`,
    /// `bucket trigger uploads`, `schedule trigger nightly`, `asynchronous invocations of function f`.
    public static func describeSubscription(_ name: String) -> String {
        for (prefix, what) in [(invokeTopic(""), "asynchronous invocations of function "), (scheduleTopic(""), "schedule trigger "), (bucketTopic(""), "bucket trigger ")]
        where name.hasPrefix(prefix) {
            return what + name.dropFirst(prefix.count)
        }
        return "queue trigger " + name
    }

    /// What `project` declares: its topics (flint.yaml's `topics`, those queue triggers name,
    /// destinations), each queue trigger's subscription, and Flint's own topics for asynchronous
    /// invocations, schedules and bucket triggers. Names starting with `flint.` are Flint's own;
    /// users cannot declare them.
    public init(project: Project) {
        var topics: [String: TopicFormat] = [:]
        var subscriptions: [Subscription] = []
        for (name, settings) in project.config.topics {
            topics[name] = settings.format
        }
        for function in project.functions.values.sorted(by: { $0.name < $1.name }) {
            let topic = Self.invokeTopic(function.name)
            topics[topic] = .text
            subscriptions.append(Subscription(name: topic, topic: topic, function: function.name, origin: .asynchronousInvocations))
            for destination in [function.onSuccess, function.onFailure].compactMap({ $0 }) where topics[destination] == nil {
                topics[destination] = .text
            }
        }
        for trigger in project.triggers {
            switch trigger.source {
            case .queue(let queue):
                if topics[queue.topic] == nil { topics[queue.topic] = .text }
                subscriptions.append(Subscription(
                    name: trigger.name, topic: queue.topic, function: trigger.function,
                    origin: .queue(trigger: trigger.name, batch: queue.batch, window: queue.window)
                ))
            case .schedule:
                let topic = Self.scheduleTopic(trigger.name)
                topics[topic] = .json
                subscriptions.append(Subscription(name: topic, topic: topic, function: trigger.function, origin: .schedule(trigger: trigger.name)))
            case .bucket:
                let topic = Self.bucketTopic(trigger.name)
                topics[topic] = .json
                subscriptions.append(Subscription(name: topic, topic: topic, function: trigger.function, origin: .bucket(trigger: trigger.name)))
            case .http:
                break
            }
        }
        self.init(topics: topics, subscriptions: subscriptions)
    }
}
