internal import FlintCore
internal import FlintDispatch

/// The subscriptions the daemon's bus consumer serves: the topology's own, each with the shape
/// its origin gives its deliveries.
enum BusSubscriptions {
    static func of(_ topology: BusTopology) -> [BusSubscription] {
        topology.subscriptions.map { subscription in
            switch subscription.origin {
            case .queue(let trigger, let batch, let window):
                BusSubscription(
                    name: subscription.name, function: subscription.function, trigger: trigger, source: .queue,
                    shape: .sqs(batch: batch, window: window)
                )
            case .asynchronousInvocations:
                BusSubscription(
                    name: subscription.name, function: subscription.function, trigger: nil, source: .lambda,
                    shape: .event, sendsDestinations: true
                )
            case .schedule(let trigger):
                BusSubscription(
                    name: subscription.name, function: subscription.function, trigger: trigger, source: .schedule,
                    shape: .event
                )
            case .bucket(let trigger):
                // S3 invokes Lambda asynchronously, so its events have destinations too.
                BusSubscription(
                    name: subscription.name, function: subscription.function, trigger: trigger, source: .bucket,
                    shape: .event, sendsDestinations: true
                )
            }
        }
    }
}
