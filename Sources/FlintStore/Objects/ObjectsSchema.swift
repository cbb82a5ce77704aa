internal import FlintCore
internal import GRDB

/// The object index's tables, as migration `v3-objects` creates them, and how Swift values map
/// to their columns.
///
/// `objects` holds one row per object in a watched bucket: what the start-up scan compares each
/// file with. It is `WITHOUT ROWID` with `(bucket, key)` as its primary key, so the table is
/// itself ordered by bucket and key: a bucket's (or a prefix's) objects are one contiguous range.
/// Keys compare as UTF-8 bytes (SQLite's BINARY collation), like S3's keys and file names.
///
/// `object_sequencer` holds the last sequencer issued, in one row, updated in the transaction
/// that issues it: the last sequencer survives the deletion of its object's row.
enum ObjectsSchema {
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE objects (
                bucket TEXT NOT NULL,
                key TEXT NOT NULL,
                size INTEGER NOT NULL,
                modified_at_ns INTEGER NOT NULL,
                inode INTEGER NOT NULL,
                etag TEXT NOT NULL,
                sequencer INTEGER NOT NULL,
                PRIMARY KEY (bucket, key)
            ) WITHOUT ROWID;

            CREATE TABLE object_sequencer (
                id INTEGER PRIMARY KEY NOT NULL CHECK (id = 0),
                last_issued INTEGER NOT NULL
            );
            """)
    }

    /// The columns `indexedObject(_:at:)` reads, in its order.
    static let objectColumns = "size, modified_at_ns, inode, etag, sequencer"

    /// Reads `objectColumns` by position from `row`, starting at column `first` (positions, not
    /// names: the start-up scan decodes 100,000 rows at a time).
    static func indexedObject(_ row: Row, at first: Int = 0) -> IndexedObject {
        IndexedObject(
            version: ObjectVersion(
                size: row[first],
                modifiedAtNanos: row[first + 1],
                inode: UInt64(bitPattern: row[first + 2]),
                eTag: row[first + 3]
            ),
            sequencer: row[first + 4]
        )
    }

    /// The inode as SQLite stores it: SQLite integers are signed 64-bit, so inodes above
    /// `Int64.max` are kept as their bit pattern (negative), and read back with
    /// `UInt64(bitPattern:)`.
    static func storedInode(_ inode: UInt64) -> Int64 { Int64(bitPattern: inode) }
}
