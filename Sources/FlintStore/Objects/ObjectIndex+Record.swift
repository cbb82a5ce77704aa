public import FlintCore
public import Foundation
internal import GRDB

extension ObjectIndex {
    /// Records `changes`, in order, and publishes the events of those that changed something, in
    /// one transaction: all of it is stored, or (when publishing refuses a message) none of it.
    ///
    /// A change is skipped when the index already says what it says: a created object whose
    /// version (size, modification time, inode, eTag) is the indexed one, or a removed object the
    /// index does not hold. So a rescan, or inotify reporting one file twice, publishes nothing.
    /// Every other change gets the next sequencer, updates its row, and publishes
    /// `messages(recorded)`.
    ///
    /// `messages` runs inside the write transaction, which blocks other writers: it should only
    /// build the events.
    ///
    /// - Returns: the changes recorded (not skipped), in order, with their sequencers.
    @discardableResult
    public func record(
        _ changes: [ObjectChange], now: Date = Date(), messages: (RecordedChange) -> [OutgoingMessage]
    ) throws(BusError) -> [RecordedChange] {
        try record(changes, now: now, claiming: [], messages: messages).recorded
    }

    /// As `record(_:now:messages:)`, and, in the same transaction, once the events are published
    /// and fanned out, leases what each of `claims` asks for (`Bus.claim(_:at:in:)`): the slots
    /// their trigger had free start them at once, without a pass of the bus consumer.
    ///
    /// - Returns: the changes recorded, and what each claim leased (in the order of `claims`;
    ///   held from the commit on, as the consumer's claims are).
    public func record(
        _ changes: [ObjectChange], now: Date = Date(), claiming claims: [NextClaim], messages: (RecordedChange) -> [OutgoingMessage]
    ) throws(BusError) -> (recorded: [RecordedChange], claimed: [[Lease]]) {
        let none = (recorded: [RecordedChange](), claimed: [[Lease]](repeating: [], count: claims.count))
        guard !changes.isEmpty else { return none }
        let result = try database.write { db in
            // The watcher records every file event: statements are cached, and bound directly.
            let upsert = try db.cachedStatement(sql: Self.upsertSQL)
            let delete = try db.cachedStatement(sql: Self.deleteSQL)
            var sequencer = try ObjectSequencer(in: db, now: EpochMicros.from(now))
            var recorded: [RecordedChange] = []
            var outgoing: [OutgoingMessage] = []

            for change in changes {
                // One statement, no lookup first: the upsert leaves a row that holds the same
                // version alone, and the delete finds no row of an object the index does not hold.
                if let version = change.version {
                    upsert.setUncheckedArguments([
                        change.bucket, change.key, version.size, version.modifiedAtNanos,
                        ObjectsSchema.storedInode(version.inode), version.eTag, sequencer.following,
                    ])
                    try upsert.execute()
                } else {
                    delete.setUncheckedArguments([change.bucket, change.key])
                    try delete.execute()
                }
                guard db.changesCount > 0 else { continue }
                let next = RecordedChange(change: change, sequencer: sequencer.next())
                recorded.append(next)
                outgoing.append(contentsOf: messages(next))
            }

            guard !recorded.isEmpty else { return none }
            try sequencer.save(in: db)
            // One call for the whole batch: one cached statement, bound once per message.
            _ = try Bus.insert(outgoing, at: now, in: db)
            guard !claims.isEmpty, !outgoing.isEmpty else { return (recorded, none.claimed) }
            let fannedOut = try Bus.fanOutCounting(limit: Bus.fanOutBatch, gathering: false, in: db)
            let claimed = try claims.map { try Bus.claim($0, at: now, in: db) }
            // Every message is fanned out (the fan-out's range ended short of its limit), every
            // delivery it wrote is claimed, and nothing else of those subscriptions is due: the
            // bus consumer need not look.
            if fannedOut.messages > 0, fannedOut.messages < Bus.fanOutBatch, claimed.allSatisfy({ !$0.moreDue }),
               claimed.reduce(0, { $0 + $1.leases.count }) == fannedOut.deliveries {
                database.markCommitQuiet()
            }
            return (recorded, claimed.map(\.leases))
        }
        database.heldLeases.hold(result.claimed.lazy.flatMap { $0 }.map(\.token))
        return result
    }

    /// Stores an object's version with sequencer ?7, unless its row holds that version already
    /// (then `changesCount` is 0). In the `DO UPDATE`'s WHERE, bare names are the stored row's.
    static let upsertSQL = """
        INSERT INTO objects (bucket, key, size, modified_at_ns, inode, etag, sequencer)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(bucket, key) DO UPDATE SET
            size = excluded.size, modified_at_ns = excluded.modified_at_ns, inode = excluded.inode,
            etag = excluded.etag, sequencer = excluded.sequencer
        WHERE size IS NOT excluded.size OR modified_at_ns IS NOT excluded.modified_at_ns
            OR inode IS NOT excluded.inode OR etag IS NOT excluded.etag
        """
    static let deleteSQL = "DELETE FROM objects WHERE bucket = ? AND key = ?"
}
