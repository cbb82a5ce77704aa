public import FlintCore
internal import Synchronization

/// The leases this daemon holds: claimed, and not yet settled (committed with their invocation's
/// record) or given back.
///
/// Only one daemon runs per project, and a lease outlives its invocation's timeout, so a lease
/// runs out while its holder lives only if the daemon was held up: stopped (SIGSTOP, a
/// suspended VM), or unable to commit its settlements (a full disk). Expiring such a lease would
/// deliver again what may well have been handled (and refuse the settlement as stale when it
/// comes), so lease expiry leaves the leases held here alone. What the holder gives up on (a
/// settlement that cannot be committed) is let go, and expires as before.
public final class HeldLeases: Sendable {
    /// Delivery → the epoch it is held under.
    private let held = Mutex<[Int64: Int64]>([:])

    init() {}

    func hold(_ tokens: some Sequence<LeaseToken>) {
        held.withLock { held in
            for token in tokens { held[token.deliveryID] = token.epoch }
        }
    }

    /// Lets go of `tokens`; one held under another epoch (leased again since) stays.
    public func letGo(_ tokens: some Sequence<LeaseToken>) {
        held.withLock { held in
            for token in tokens where held[token.deliveryID] == token.epoch { held[token.deliveryID] = nil }
        }
    }

    /// The deliveries held, as a JSON list for `json_each`.
    var deliveryIDList: String {
        held.withLock { held in "[" + held.keys.map(String.init).joined(separator: ",") + "]" }
    }

    /// How many are held.
    public var count: Int { held.withLock { $0.count } }
}
