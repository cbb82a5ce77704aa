/// The answer to a discard: the dead letters deleted, and requested ids that are not dead letters.
public struct DiscardView: Codable, Sendable, Hashable {
    public var discarded: [Int64]
    /// Ids given that are not dead letters (already replayed or discarded, no such id, or of
    /// another function than the one asked for).
    public var missing: [Int64]

    public init(discarded: [Int64], missing: [Int64]) {
        self.discarded = discarded
        self.missing = missing
    }
}
