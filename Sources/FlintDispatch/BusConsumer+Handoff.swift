internal import FlintCore
internal import Foundation
internal import Logging

/// How the consumer's invocations hand their slot on (`SlotHandoff`), and give back leases no
/// invocation will take.
extension BusConsumer {
    /// What a delivery's result settles on the bus: its settlements and destination records.
    func settlement(
        of delivery: BusDelivery
    ) -> @Sendable (InvocationResult, FunctionManifest) -> (settlements: [Settlement], publications: [OutgoingMessage]) {
        let settings = self.settings
        return { result, function in
            delivery.settle(result, function: function, policy: settings.retry, identity: settings.identity)
        }
    }

    /// Where a slot running `subscription`'s delivery may go next without a pass: its next due
    /// delivery, one at a time (a batch, or a batching window, is the pass's to gather).
    func handoff(after subscription: BusSubscription) -> SlotHandoff? {
        guard subscription.batch == 1, subscription.window == .zero, let function = dispatcher.function(named: subscription.function)
        else { return nil }
        let claim = NextClaim(
            subscription: subscription.name, function: function.name, leaseFor: function.longestInvocation + settings.leaseMargin,
            wanted: { [self] in mayHandOff(to: subscription) })
        return SlotHandoff(
            claim: claim,
            next: { [self] leases in
                let (delivery, request) = BusDelivery.first(
                    of: leases[...], subscription: subscription, identity: settings.identity, payloadLimit: settings.payloadLimit)
                return HandedOffInvocation(request: request, handoff: handoff(after: subscription), settle: settlement(of: delivery))
            },
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
