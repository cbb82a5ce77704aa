public import FlintCore
internal import GRDB

/// What Flint knows of the objects in its buckets: one row per object, with the version it had
/// when its last event was published.
///
/// Recording a change and publishing its events are one transaction (`record`), so a crash loses
/// neither, and the start-up scan, which compares each bucket with `objects(in:)`, publishes
/// exactly what changed while nobody watched: nothing after a clean stop.
///
/// Every method is one transaction and blocks the calling thread, like `Bus`'s.
public final class ObjectIndex: Sendable {
    let database: FlintDatabase

    public init(database: FlintDatabase) {
        self.database = database
    }

    /// Every indexed object of `bucket` whose key starts with `prefix`, by key (byte for byte:
    /// canonically equivalent keys are two objects).
    ///
    /// Keys match the prefix byte for byte (UTF-8), as in S3 and the file system: `%` and `_`
    /// are plain characters, and a precomposed `é` does not match a decomposed one.
    public func objects(in bucket: String, under prefix: String = "") throws(BusError) -> [ByteExactKey: IndexedObject] {
        try database.read { db in
            let statement = try db.cachedStatement(sql: Self.objectsFromKeySQL)
            let prefixBytes = prefix.utf8
            var objects: [ByteExactKey: IndexedObject] = [:]
            let rows = try Row.fetchCursor(statement, arguments: [bucket, prefix])
            while let row = try rows.next() {
                let key: String = row[0]
                guard key.utf8.starts(with: prefixBytes) else { break }
                objects[ByteExactKey(key)] = ObjectsSchema.indexedObject(row, at: 1)
            }
            return objects
        }
    }

    /// How many objects of `bucket` the index holds.
    public func count(in bucket: String) throws(BusError) -> Int {
        try database.read { db in
            try Int.fetchOne(db.cachedStatement(sql: Self.countSQL), arguments: [bucket]) ?? 0
        }
    }

    /// A bucket's objects from a key on, in key order: the primary key orders the table by
    /// (bucket, key), so the objects under a prefix are the rows from the prefix on, up to the
    /// first key without it, where `objects(in:under:)` stops reading.
    static let objectsFromKeySQL = """
        SELECT key, \(ObjectsSchema.objectColumns) FROM objects
        WHERE bucket = ? AND key >= ? ORDER BY key
        """
    static let countSQL = "SELECT count(*) FROM objects WHERE bucket = ?"
}
