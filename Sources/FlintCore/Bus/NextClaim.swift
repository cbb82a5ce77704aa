/// What a transaction claims for slots taken beforehand, so that they start without a pass of the
/// bus consumer: the one that settles a bus invocation claims the next due delivery of the same
/// subscription for the slot it leaves (FlintDispatch's `SlotHandoff` asks for it; FlintStore's
/// `LedgerWriter` claims it), and the one that publishes a bucket's events claims them for the
/// slots their trigger has free (FlintDispatch's `PublisherClaim`; FlintStore's `ObjectIndex`).
public struct NextClaim: Sendable {
    public var subscription: String
    /// The function that runs it (recorded on the delivery, as the consumer's claims do).
    public var function: String
    /// How long the claimed deliveries' leases last.
    public var leaseFor: Duration
    /// The most deliveries claimed (one per slot), oldest due first.
    public var limit: Int
    /// Asked inside the transaction just before the claim, and again after its commit: whether
    /// the slots should still go to this subscription.
    public var wanted: @Sendable () -> Bool
    /// Takes up to the given number of slots, inside the transaction just before the claim, and
    /// says how many it took: the claim leases no more. By default, all of them: a slot that hands
    /// itself on is held already.
    public var takeSlots: @Sendable (Int) -> Int

    public init(
        subscription: String, function: String, leaseFor: Duration, limit: Int = 1, wanted: @escaping @Sendable () -> Bool,
        takeSlots: @escaping @Sendable (Int) -> Int = { $0 }
    ) {
        self.subscription = subscription
        self.function = function
        self.leaseFor = leaseFor
        self.limit = limit
        self.wanted = wanted
        self.takeSlots = takeSlots
    }
}
