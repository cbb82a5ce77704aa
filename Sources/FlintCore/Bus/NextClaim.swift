/// What the transaction that settles a bus invocation claims for the slot it leaves: the next due
/// delivery of the same subscription, so the slot goes on to it without a pass of the bus consumer
/// (FlintDispatch's `SlotHandoff` asks for it; FlintStore's `LedgerWriter` claims it).
public struct NextClaim: Sendable {
    public var subscription: String
    /// The function that runs it (recorded on the delivery, as the consumer's claims do).
    public var function: String
    /// How long the claimed delivery's lease lasts.
    public var leaseFor: Duration
    /// Asked inside the settling transaction just before the claim, and again after its commit:
    /// whether the slot should still go on to this subscription.
    public var wanted: @Sendable () -> Bool

    public init(subscription: String, function: String, leaseFor: Duration, wanted: @escaping @Sendable () -> Bool) {
        self.subscription = subscription
        self.function = function
        self.leaseFor = leaseFor
        self.wanted = wanted
    }
}
