public import FlintCore
public import Foundation
internal import Synchronization

/// What a transaction about to publish a trigger's events is to claim for them, and the slots it
/// takes for that inside the transaction, just before the claim (so that none is held idle while
/// the transaction waits for the writer or writes a large batch). The events it claims start once
/// it commits, on the publisher's thread, with no pass of the consumer (a wake-up, a read and a
/// claim transaction of its own) between an event and its handler.
public struct PublisherClaim: Sendable {
    /// Up to `limit` due deliveries of the trigger's subscription, oldest first (so a backlog
    /// keeps its order), and no more than the slots `takeSlots` gets.
    public let claim: NextClaim
    let subscription: BusSubscription
    /// How many slots the claim took (none until the transaction claims).
    let slotsTaken: SlotTally
}

/// The slots a publisher claim took, counted where the claim takes them.
final class SlotTally: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func add(_ slots: Int) { count.withLock { $0 += slots } }
}

/// How a publisher of trigger events (the bucket watcher) starts them in the slots its own
/// transaction takes (`PublisherClaim`).
extension BusConsumer {
    /// What the transaction publishing `events` (how many for each trigger) is to claim.
    ///
    /// Only on a slot hand-off's terms (`mayHandOff`): while the consumer claims, no other
    /// subscription was due at its latest pass, and no synchronous caller waits. Only for triggers
    /// whose events are one per invocation (a batch, or a batching window, is the pass's to
    /// gather). What is not claimed this way is the pass's, which the commit wakes as for any
    /// publisher.
    public func publisherClaims(forTriggers events: [String: Int]) -> [PublisherClaim] {
        events.keys.sorted().compactMap { trigger -> PublisherClaim? in
            guard let wanted = events[trigger], wanted > 0,
                  let subscription = subscriptions.first(where: { $0.trigger == trigger }), mayHandOff(to: subscription)
            else { return nil }
            let tally = SlotTally()
            let takeSlots: @Sendable (Int) -> Int = { [dispatcher] upTo in
                let slots = dispatcher.tryAcquireSlots(subscription.function, upTo: upTo)
                tally.add(slots)
                return slots
            }
            return nextClaim(for: subscription, limit: min(wanted, settings.invocationsPerPass), takeSlots: takeSlots)
                .map { PublisherClaim(claim: $0, subscription: subscription, slotsTaken: tally) }
        }
    }

    /// Starts what the publishing transaction, committed at `claimedAt`, leased for `claims`
    /// (`claimed[i]` for `claims[i]`), each in one of the slots it took. Gives back the slots
    /// nothing was leased for, and the leases that can no longer start (the consumer paused, or
    /// the dispatcher stopped taking work, since the claim).
    public func start(_ claims: [PublisherClaim], claimed: [[Lease]], at claimedAt: Date) {
        for (index, claim) in claims.enumerated() {
            let subscription = claim.subscription
            let leases = index < claimed.count ? claimed[index] : []
            var started = 0
            for lease in leases {
                guard claim.claim.wanted(), dispatcher.startHoldingSlot(invocation(of: [lease][...], for: subscription).invocation)
                else { break }
                started += 1
            }
            dispatcher.releaseSlots(subscription.function, count: claim.slotsTaken.value - started)
            if started < leases.count {
                giveBack(Array(leases[started...]), claimedAt: claimedAt, of: subscription)
            }
        }
    }

    /// The publishing transaction failed: gives back the slots its claims took.
    public func abandon(_ claims: [PublisherClaim]) {
        for claim in claims {
            dispatcher.releaseSlots(claim.subscription.function, count: claim.slotsTaken.value)
        }
    }
}
