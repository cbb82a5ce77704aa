public import FlintCore

/// Where the bucket watcher's changes go: the object index and the bus, in one transaction.
public protocol BucketSink: Sendable {
    /// The indexed objects of `bucket` whose keys start with `prefix` (a scan compares them
    /// with the files found).
    func indexedObjects(in bucket: String, under prefix: String) throws -> [ByteExactKey: IndexedObject]
    /// Records `changes` in the index and publishes their events, all in one transaction;
    /// changes that match the index already (a rescan, a repeated event) are skipped.
    func record(_ changes: [ObjectChange]) throws
}
