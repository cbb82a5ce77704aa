public import FlintCore
public import Foundation

/// What a bus invocation's slot goes on to once the invocation is settled: the transaction that
/// settles it also claims the next due delivery of the same subscription, and the slot runs it
/// without being given back, so a backlog costs the bus consumer no pass (a wake-up, a read and a
/// claim transaction) per invocation. Offered only while nothing else waits for the slot
/// (`wanted`); whatever it does not claim is left to the consumer.
public struct SlotHandoff: Sendable {
    /// What the settling transaction claims, and whether it is still wanted.
    public var claim: NextClaim
    /// The invocation of what was claimed (one lease), to run in the slot.
    public var next: @Sendable ([Lease]) -> SlotInvocation
    /// Gives back leases claimed (at the date given) for a slot that can no longer run them (the
    /// consumer or the dispatcher stopped meanwhile): claimable again at once, their attempt not
    /// counted.
    public var giveBack: @Sendable ([Lease], Date) -> Void

    public init(
        claim: NextClaim, next: @escaping @Sendable ([Lease]) -> SlotInvocation,
        giveBack: @escaping @Sendable ([Lease], Date) -> Void
    ) {
        self.claim = claim
        self.next = next
        self.giveBack = giveBack
    }
}

/// An invocation of bus deliveries, run in a slot already held (`Dispatcher.startHoldingSlot`):
/// one the consumer's pass or a publisher claimed, or one a slot went on to (`SlotHandoff.next`).
public struct SlotInvocation: Sendable {
    /// The settlements and publications a result leads to (the deliveries it settles, its
    /// destination records).
    public typealias Settle = @Sendable (InvocationResult, FunctionManifest) -> (settlements: [Settlement], publications: [OutgoingMessage])

    public var request: InvocationRequest
    /// Where the slot goes after this one, if anywhere.
    public var handoff: SlotHandoff?
    public var settle: Settle

    public init(request: InvocationRequest, handoff: SlotHandoff?, settle: @escaping Settle) {
        self.request = request
        self.handoff = handoff
        self.settle = settle
    }
}
