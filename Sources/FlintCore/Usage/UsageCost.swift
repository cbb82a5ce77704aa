/// A cost split the way Lambda bills it.
public struct UsageCost: Sendable, Hashable {
    /// The per-request part.
    public var requests: Double
    /// The GB-seconds part.
    public var compute: Double
    public var total: Double { requests + compute }

    public init(requests: Double, compute: Double) {
        self.requests = requests
        self.compute = compute
    }
}
