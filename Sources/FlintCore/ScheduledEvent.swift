public import Foundation

/// The EventBridge "Scheduled Event" a schedule trigger hands its function (LAMBDA.md §3).
public enum ScheduledEvent {
    /// Encodes one tick as the event, keys in sorted order.
    ///
    /// - Parameters:
    ///   - id: the event's `id`, normally the invocation id.
    ///   - time: the tick; `time` is written in whole seconds, UTC (`2019-03-01T01:23:45Z`).
    ///   - trigger: the trigger's name; gives `resources`, `arn:aws:events:REGION:ACCOUNT:rule/TRIGGER`.
    public static func encode(id: String, time: Date, region: String, account: String, trigger: String) -> Data {
        var writer = JSONWriter(capacity: 320 + trigger.utf8.count)
        writer.beginObject()
        writer.key("account")
        writer.string(account)
        writer.key("detail")
        writer.object([:])
        writer.key("detail-type")
        writer.string("Scheduled Event")
        writer.key("id")
        writer.string(id)
        writer.key("region")
        writer.string(region)
        writer.key("resources")
        writer.array(["arn:aws:events:\(region):\(account):rule/\(trigger)"])
        writer.key("source")
        writer.string("aws.events")
        writer.key("time")
        writer.string(UTCTimestamp(time).iso8601WholeSeconds)
        writer.key("version")
        writer.string("0")
        writer.endObject()
        return writer.data
    }
}
