/// What a bucket holds under one key at one moment: what the object index keeps per object, and
/// what tells a changed object from an unchanged one.
public struct ObjectVersion: Sendable, Hashable {
    public var size: Int64
    /// The file's modification time, in nanoseconds since the epoch.
    public var modifiedAtNanos: Int64
    public var inode: UInt64
    /// The hex MD5 of the content (S3's `eTag` for a single-part upload).
    public var eTag: String

    public init(size: Int64, modifiedAtNanos: Int64, inode: UInt64, eTag: String) {
        self.size = size
        self.modifiedAtNanos = modifiedAtNanos
        self.inode = inode
        self.eTag = eTag
    }

    /// Whether a file's metadata still matches this version, so its content need not be read
    /// again (the start-up scan's test).
    public func matches(size: Int64, modifiedAtNanos: Int64, inode: UInt64) -> Bool {
        self.size == size && self.modifiedAtNanos == modifiedAtNanos && self.inode == inode
    }
}

/// One thing that happened to one object, as the bucket watcher saw it.
public struct ObjectChange: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Written and closed in place (`ObjectCreated:Put`), or found by a scan.
        case put(ObjectVersion)
        /// Renamed into the bucket, complete (`ObjectCreated:Copy`).
        case moved(ObjectVersion)
        /// Deleted or renamed away (`ObjectRemoved:Delete`).
        case removed
    }

    public var bucket: String
    /// The object's path relative to the bucket, `/`-separated: its S3 key.
    public var key: String
    public var kind: Kind

    public init(bucket: String, key: String, kind: Kind) {
        self.bucket = bucket
        self.key = key
        self.kind = kind
    }

    /// The version a created object has now; nil for a removal.
    public var version: ObjectVersion? {
        switch kind {
        case .put(let version), .moved(let version): version
        case .removed: nil
        }
    }

    /// `created` or `removed`, as bucket triggers' `events` name them.
    public var eventKind: BucketTrigger.EventKind { version == nil ? .removed : .created }
}

/// An object as the index holds it: its version, and the sequencer of its latest event.
public struct IndexedObject: Sendable, Hashable {
    public var version: ObjectVersion
    /// Grows with every event of the object's key (S3's `sequencer`, as a number).
    public var sequencer: Int64

    public init(version: ObjectVersion, sequencer: Int64) {
        self.version = version
        self.sequencer = sequencer
    }
}

/// A change the index took, with the sequencer it was given: what an event is made of.
public struct RecordedChange: Sendable, Hashable {
    public var change: ObjectChange
    public var sequencer: Int64

    public init(change: ObjectChange, sequencer: Int64) {
        self.change = change
        self.sequencer = sequencer
    }
}
