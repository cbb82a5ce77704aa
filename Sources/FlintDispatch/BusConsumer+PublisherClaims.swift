public import FlintCore
public import Foundation

/// Slots taken for the events a transaction is about to publish, and what that transaction claims
/// for them: the events start once it commits, on the publisher's thread, without the consumer's
/// pass (a wake-up, a read and a claim transaction of its own between an event and its handler).
public struct PublisherClaim: Sendable {
    /// What the publishing transaction claims: up to `limit` (the slots taken) due deliveries of
    /// the trigger's subscription, oldest first, so a backlog keeps its order.
    public let claim: NextClaim
    let subscription: BusSubscription
}

/// How a publisher of trigger events (the bucket watcher) starts them in its own transaction's
/// slots (`PublisherClaim`).
extension BusConsumer {
    /// Takes free slots for the events about to be published for each trigger of `events` (how
    /// many for each), and says what the publishing transaction is to claim for them.
    ///
    /// Only as a slot could go on to its subscription's next delivery (`mayHandOff`): while the
    /// consumer claims, no other subscription was due at its latest pass, and no synchronous
    /// caller waits. Only for triggers whose events are one per invocation (a batch, or a batching
    /// window, is the pass's to gather). What is not claimed this way is the pass's, which the
    /// commit wakes as for any publisher.
    public func publisherClaims(forTriggers events: [String: Int]) -> [PublisherClaim] {
        events.keys.sorted().compactMap { trigger -> PublisherClaim? in
            guard let wanted = events[trigger], wanted > 0,
                  let subscription = subscriptions.first(where: { $0.trigger == trigger }),
                  subscription.batch == 1, subscription.window == .zero,
                  let function = dispatcher.function(named: subscription.function),
                  mayHandOff(to: subscription)
            else { return nil }
            let slots = dispatcher.tryAcquireSlots(function.name, upTo: min(wanted, settings.invocationsPerPass))
            guard slots > 0 else { return nil }
            let claim = NextClaim(
                subscription: subscription.name, function: function.name, leaseFor: function.longestInvocation + settings.leaseMargin,
                limit: slots, wanted: { [self] in mayHandOff(to: subscription) })
            return PublisherClaim(claim: claim, subscription: subscription)
        }
    }

    /// Starts what the publishing transaction, committed at `claimedAt`, leased for `claims`
    /// (`claimed[i]` for `claims[i]`), each in one of the slots taken for it. Gives back the slots
    /// nothing was leased for, and the leases that can no longer start (the consumer paused, or
    /// the dispatcher stopped taking work, since the claim).
    public func start(_ claims: [PublisherClaim], claimed: [[Lease]], at claimedAt: Date) {
        for (claim, leases) in zip(claims, claimed) {
            let subscription = claim.subscription
            var started = 0
            for lease in leases {
                guard claim.claim.wanted() else { break }
                let (delivery, request) = BusDelivery.first(
                    of: [lease][...], subscription: subscription, identity: settings.identity, payloadLimit: settings.payloadLimit)
                guard dispatcher.startHoldingSlotIfAccepting(request, handoff: handoff(after: subscription), settle: settlement(of: delivery))
                else { break }
                started += 1
            }
            dispatcher.releaseSlots(subscription.function, count: claim.claim.limit - started)
            if started < leases.count {
                giveBack(Array(leases[started...]), claimedAt: claimedAt, of: subscription)
            }
        }
    }

    /// The publishing transaction failed: gives back the slots taken for `claims`.
    public func abandon(_ claims: [PublisherClaim]) {
        for claim in claims {
            dispatcher.releaseSlots(claim.subscription.function, count: claim.claim.limit)
        }
    }
}
