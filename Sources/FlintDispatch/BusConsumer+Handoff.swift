internal import FlintCore
internal import Foundation
internal import Logging

/// How the consumer's invocations hand their slot on (`SlotHandoff`), and give back leases no
/// invocation will take.
extension BusConsumer {
    /// The invocation of the first delivery `leases` make for `subscription` (up to its batch, and
    /// as much as one event carries), to run in a slot already held, going on as `handoff(after:)`
    /// says; and how many of the leases it takes.
    func invocation(of leases: ArraySlice<Lease>, for subscription: BusSubscription) -> (invocation: SlotInvocation, leases: Int) {
        let (delivery, request) = BusDelivery.first(
            of: leases.prefix(subscription.batch), subscription: subscription, identity: settings.identity,
            payloadLimit: settings.payloadLimit)
        let settings = self.settings
        let invocation = SlotInvocation(request: request, handoff: handoff(after: subscription)) { result, function in
            delivery.settle(result, function: function, policy: settings.retry, identity: settings.identity)
        }
        return (invocation, delivery.leases.count)
    }

    /// What a transaction (a settling one, or a publisher's) may claim for `subscription`'s slots,
    /// to be asked again just before the claim and after the commit (`mayHandOff`): up to `limit`
    /// deliveries, and to the slots `takeSlots` takes. None for deliveries a pass gathers (a
    /// batch, a batching window) or a function no longer there.
    func nextClaim(
        for subscription: BusSubscription, limit: Int = 1, takeSlots: @escaping @Sendable (Int) -> Int = { $0 }
    ) -> NextClaim? {
        guard subscription.batch == 1, subscription.window == .zero, let function = dispatcher.function(named: subscription.function)
        else { return nil }
        return NextClaim(
            subscription: subscription.name, function: function.name, leaseFor: function.longestInvocation + settings.leaseMargin,
            limit: limit, wanted: { [self] in mayHandOff(to: subscription) }, takeSlots: takeSlots)
    }

    /// Where a slot running `subscription`'s delivery may go next without a pass: its next due
    /// delivery, one at a time.
    func handoff(after subscription: BusSubscription) -> SlotHandoff? {
        guard let claim = nextClaim(for: subscription) else { return nil }
        return SlotHandoff(
            claim: claim,
            next: { [self] leases in invocation(of: leases[...], for: subscription).invocation },
            giveBack: { [self] leases, claimedAt in giveBack(leases, claimedAt: claimedAt, of: subscription) }
        )
    }

    /// Makes leases claimed at `claimedAt` for a slot that cannot run them claimable again, and
    /// looks again.
    func giveBack(_ leases: [Lease], claimedAt: Date, of subscription: BusSubscription) {
        defer { wake() }
        release(leases.map(\.token), claimedAt: claimedAt, of: subscription)
    }

    /// Gives back leases claimed at `claimedAt` that no invocation took: ready again, their attempt
    /// not counted. A failure is logged; they are then delivered again when their lease runs out.
    func release(_ tokens: [LeaseToken], claimedAt: Date, of subscription: BusSubscription) {
        do {
            try source.release(tokens, claimedAt: claimedAt)
        } catch {
            logger.error(
                "could not give back \(tokens.count) delivery lease(s) that no invocation took: \(error); they are delivered again when their lease runs out",
                metadata: ["flint.subscription": "\(subscription.name)", "flint.function": "\(subscription.function)"]
            )
        }
    }
}
