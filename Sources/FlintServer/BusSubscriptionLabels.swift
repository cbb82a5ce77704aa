internal import FlintCore

/// A bus subscription as the queue gauges of `/metrics` label it.
struct BusSubscriptionLabels: Sendable {
    /// The subscription: a queue trigger's name, or `flint.invoke.FN`, `flint.bucket.TRIGGER`,
    /// `flint.schedule.TRIGGER` for Flint's own.
    var name: String
    var function: String
    /// The trigger's name; empty for a function's asynchronous invocations, which have none.
    var trigger: String
    var source: InvocationSource

    var labels: [(String, String)] {
        [("subscription", name), ("function", function), ("trigger", trigger), ("source", source.rawValue)]
    }

    static func of(_ topology: BusTopology) -> [BusSubscriptionLabels] {
        topology.subscriptions.map { subscription in
            let (trigger, source): (String, InvocationSource) =
                switch subscription.origin {
                case .queue(let trigger, _, _): (trigger, .queue)
                case .bucket(let trigger): (trigger, .bucket)
                case .schedule(let trigger): (trigger, .schedule)
                case .asynchronousInvocations: ("", .lambda)
                }
            return BusSubscriptionLabels(name: subscription.name, function: subscription.function, trigger: trigger, source: source)
        }
    }
}
