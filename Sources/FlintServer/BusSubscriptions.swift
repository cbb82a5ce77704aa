internal import FlintCore
internal import FlintDispatch

/// The subscriptions the daemon's bus consumer serves, one per queue trigger, schedule trigger
/// and function (for its asynchronous invocations); named as `BusTopology(project:)` names them.
enum BusSubscriptions {
    static func of(_ project: Project) -> [BusSubscription] {
        var subscriptions: [BusSubscription] = []
        for function in project.functions.values.sorted(by: { $0.name < $1.name }) {
            subscriptions.append(BusSubscription(
                name: BusTopology.invokeTopic(function.name), function: function.name, trigger: nil,
                source: .lambda, shape: .event, sendsDestinations: true
            ))
        }
        for trigger in project.triggers {
            switch trigger.source {
            case .queue(let queue):
                subscriptions.append(BusSubscription(
                    name: trigger.name, function: trigger.function, trigger: trigger.name, source: .queue,
                    shape: .sqs(batch: queue.batch, window: queue.window)
                ))
            case .schedule:
                subscriptions.append(BusSubscription(
                    name: BusTopology.scheduleTopic(trigger.name), function: trigger.function, trigger: trigger.name,
                    source: .schedule, shape: .event
                ))
            case .http, .bucket:
                break
            }
        }
        return subscriptions
    }
}
