extension BucketTrigger {
    /// Whether this trigger fires for `change`: the change is in this trigger's bucket, is one of
    /// its `events`, and its key starts with `prefix` and ends with `suffix`.
    ///
    /// The filters are S3's: plain, case-sensitive text compared byte for byte (UTF-8). Swift's
    /// own `hasPrefix` compares characters under Unicode canonical equivalence, so it would let
    /// `é` match `e\u{301}` and refuse a prefix that ends inside a character; S3 does neither.
    public func matches(_ change: ObjectChange) -> Bool {
        change.bucket == bucket
            && events.contains(change.eventKind)
            && change.key.utf8.starts(with: prefix.utf8)
            && change.key.utf8.reversed().starts(with: suffix.utf8.reversed())
    }
}
