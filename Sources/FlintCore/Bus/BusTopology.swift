/// The topics and subscriptions a project declares: what the bus routes.
public struct BusTopology: Sendable, Hashable {
    /// One subscriber of a topic: every message published on it gets a delivery for `function`.
    public struct Subscription: Sendable, Hashable {
        /// Unique: the trigger's name, or `flint.invoke.FUNCTION` and the like for Flint's own.
        public var name: String
        public var topic: String
        public var function: String

        public init(name: String, topic: String, function: String) {
            self.name = name
            self.topic = topic
            self.function = function
        }
    }

    public var topics: [String: TopicFormat]
    public var subscriptions: [Subscription]

    public init(topics: [String: TopicFormat] = [:], subscriptions: [Subscription] = []) {
        self.topics = topics
        self.subscriptions = subscriptions
    }
}
