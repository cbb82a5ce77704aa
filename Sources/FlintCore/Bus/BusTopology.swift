/// The topics and subscriptions a project declares: what the bus routes.
public struct BusTopology: Sendable, Hashable {
    /// One subscriber of a topic: every message published on it gets a delivery for `function`.
    public struct Subscription: Sendable, Hashable {
        /// Unique: the trigger's name, or `flint.invoke.FUNCTION` and the like for Flint's own.
        public var name: String
        public var topic: String
        public var function: String
        public var origin: Origin

        /// What a subscription stands for, and so how its deliveries reach the function.
        public enum Origin: Sendable, Hashable {
            /// A queue trigger: SQS batches.
            case queue(trigger: String, batch: Int, window: Duration)
            /// The function's asynchronous invocations: one event each.
            case asynchronousInvocations
            /// A schedule trigger's ticks: one event each.
            case schedule(trigger: String)
            /// A bucket trigger's object events: one S3 event each.
            case bucket(trigger: String)
        }

        public init(name: String, topic: String, function: String, origin: Origin) {
            self.name = name
            self.topic = topic
            self.function = function
            self.origin = origin
        }

        /// A queue subscription of one message per invocation, named after its trigger.
        public init(name: String, topic: String, function: String) {
            self.init(name: name, topic: topic, function: function, origin: .queue(trigger: name, batch: 1, window: .zero))
        }
    }

    public var topics: [String: TopicFormat]
    public var subscriptions: [Subscription]

    public init(topics: [String: TopicFormat] = [:], subscriptions: [Subscription] = []) {
        self.topics = topics
        self.subscriptions = subscriptions
    }
}
