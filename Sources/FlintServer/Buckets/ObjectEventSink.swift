internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import FlintTriggers
internal import Foundation

/// The bucket watcher's changes, recorded in the object index and published as S3 events on
/// each matching trigger's topic, in one transaction, which also claims them for the slots their
/// triggers have free: those start once it commits, the others when the bus consumer, woken by
/// the commit, gets to them.
struct ObjectEventSink: BucketSink {
    struct Trigger: Sendable {
        var name: String
        var bucket: BucketTrigger
    }

    let index: ObjectIndex
    let triggers: [Trigger]
    let root: String
    let identity: LambdaIdentity
    let causation: OutputCausation
    let metrics: DaemonMetrics
    let starter: BucketEventStarter

    func indexedObjects(in bucket: String, under prefix: String) throws -> [ByteExactKey: IndexedObject] {
        try index.objects(in: bucket, under: prefix)
    }

    func record(_ changes: [ObjectChange]) throws {
        let now = Date()
        let consumer = starter.consumer
        let claims = consumer?.publisherClaims(forTriggers: eventCounts(changes)) ?? []
        let recorded: [RecordedChange]
        do {
            let result = try index.record(changes, now: now, claiming: claims.map(\.claim)) { recorded in
                events(for: recorded, at: now)
            }
            consumer?.start(claims, claimed: result.claimed, at: now)
            recorded = result.recorded
        } catch {
            consumer?.abandon(claims)
            throw error
        }
        causation.forget(inodes: recorded.compactMap { $0.change.version?.inode })
        count(recorded)
    }

    /// How many of `changes` each trigger matches: at most as many events as it may start at once
    /// (changes the index already holds publish nothing).
    private func eventCounts(_ changes: [ObjectChange]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for change in changes {
            for trigger in triggers where trigger.bucket.matches(change) {
                counts[trigger.name, default: 0] += 1
            }
        }
        return counts
    }

    /// Counts the committed events per trigger (`flint_bucket_events_total`).
    private func count(_ recorded: [RecordedChange]) {
        var counts: [String: (trigger: String, bucket: String, event: String, count: Int)] = [:]
        for change in recorded.map(\.change) {
            let event = if case .removed = change.kind { "removed" } else { "created" }
            for trigger in triggers where trigger.bucket.matches(change) {
                counts["\(trigger.name)\u{0}\(event)", default: (trigger.name, change.bucket, event, 0)].count += 1
            }
        }
        for entry in counts.values {
            metrics.recordBucketEvents(entry.count, trigger: entry.trigger, bucket: entry.bucket, event: entry.event)
        }
    }

    /// One S3 event per trigger the change matches.
    private func events(for recorded: RecordedChange, at now: Date) -> [OutgoingMessage] {
        let change = recorded.change
        let matching = triggers.filter { $0.bucket.matches(change) }
        guard !matching.isEmpty else { return [] }
        let depth = change.version.map { causation.depth(of: $0.inode) } ?? 0
        let path = "\(root)/\(change.bucket)/\(change.key)"
        return matching.map { trigger in
            let event = S3Event.encode(
                recorded, trigger: trigger.name, eventTime: now, requestID: S3Event.newRequestID(),
                region: identity.region, account: identity.account
            )
            return OutgoingMessage(
                topic: BusTopology.bucketTopic(trigger.name), body: String(decoding: event, as: UTF8.self),
                attributes: [BusDelivery.objectPathAttribute: path],
                origin: MessageOrigin(source: .bucket, trigger: trigger.name), depth: depth
            )
        }
    }
}
