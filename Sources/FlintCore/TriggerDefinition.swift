/// One trigger: a document in `triggers/*.yaml` binding one source to one function.
public struct TriggerDefinition: Sendable, Hashable, Codable {
    /// The file's base name, with `#N` appended for the N-th document (from 2) of a multi-document file.
    public var name: String
    /// Where it was declared, for messages.
    public var location: SourceLocation
    /// The function this trigger invokes.
    public var function: String
    public var source: TriggerSource

    public init(name: String, location: SourceLocation, function: String, source: TriggerSource) {
        self.name = name
        self.location = location
        self.function = function
        self.source = source
    }

    /// The source's kind as written in YAML (`http`, `queue`, ...).
    public var kind: TriggerKind { source.kind }
}

public enum TriggerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case bucket, queue, http, schedule
}

public enum TriggerSource: Sendable, Hashable, Codable {
    case http(HTTPTrigger)
    case bucket(BucketTrigger)
    case queue(QueueTrigger)
    case schedule(ScheduleTrigger)

    public var kind: TriggerKind {
        switch self {
        case .http: .http
        case .bucket: .bucket
        case .queue: .queue
        case .schedule: .schedule
        }
    }
}

public struct HTTPTrigger: Sendable, Hashable, Codable {
    /// Upper-case method (`GET`, `POST`, ...), or `ANY`.
    public var method: String
    /// The route pattern, e.g. `/echo/{name}`.
    public var path: RoutePattern
    public var auth: RouteAuth

    public init(method: String, path: RoutePattern, auth: RouteAuth) {
        self.method = method
        self.path = path
        self.auth = auth
    }

    /// First path segments Flint serves itself: the admin API, Lambda's Invoke API, metrics and
    /// health checks. No trigger may be declared there, and requests there never reach a
    /// trigger, not even a catch-all `/{proxy+}`.
    public static let reservedFirstSegments: Set<String> = ["v1", "2015-03-31", "metrics", "healthz"]
}

public enum RouteAuth: String, Sendable, Hashable, Codable, CaseIterable {
    /// Public: anyone who can reach the listener may call it.
    case none
    /// `Authorization: Bearer <admin token>` required.
    case token
}

public struct BucketTrigger: Sendable, Hashable, Codable {
    public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable { case created, removed }
    public var bucket: String
    public var events: [EventKind]
    public var prefix: String
    public var suffix: String

    public init(bucket: String, events: [EventKind], prefix: String, suffix: String) {
        self.bucket = bucket
        self.events = events
        self.prefix = prefix
        self.suffix = suffix
    }
}

public struct QueueTrigger: Sendable, Hashable, Codable {
    public var topic: String
    /// Messages per invocation (SQS batch size).
    public var batch: Int
    /// How long to wait for a fuller batch once a message is there (SQS `MaximumBatchingWindow`);
    /// zero hands over whatever is waiting at once.
    public var window: Duration

    public init(topic: String, batch: Int, window: Duration = .zero) {
        self.topic = topic
        self.batch = batch
        self.window = window
    }
}

public struct ScheduleTrigger: Sendable, Hashable, Codable {
    public enum Rule: Sendable, Hashable, Codable {
        case every(Duration)
        /// A five-field cron expression, kept as written.
        case cron(String)
    }
    public var rule: Rule

    public init(rule: Rule) { self.rule = rule }
}
