/// Asks the project reloader for a reload, from SIGHUP (nobody waits) or `POST /v1/reload` (the
/// caller waits for the outcome). Reloads happen one at a time, in the order asked.
final class ReloadRequests: Sendable {
    struct Request: Sendable {
        let reply: (@Sendable (ReloadOutcome) -> Void)?
    }

    let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    init() {
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    /// Reloads without waiting (SIGHUP).
    func signal() {
        continuation.yield(Request(reply: nil))
    }

    /// Reloads and returns the outcome; `.stopping` when the daemon stops first.
    func reload() async -> ReloadOutcome {
        await withCheckedContinuation { (waiter: CheckedContinuation<ReloadOutcome, Never>) in
            let result = continuation.yield(Request(reply: { waiter.resume(returning: $0) }))
            if case .terminated = result { waiter.resume(returning: .stopping) }
        }
    }

    /// No more reloads: the daemon is stopping.
    func finish() {
        continuation.finish()
    }
}

/// What a reload did.
enum ReloadOutcome: Sendable, Equatable {
    /// The project now runs as loaded: what changed, flint.yaml settings that wait for a
    /// restart, and what needs the user's attention (messages left waiting for removed triggers).
    case reloaded(changes: [String], deferredSettings: [String], warnings: [String])
    /// Nothing changed: the previous configuration still runs.
    case refused(problems: [String])
    /// The daemon is stopping and reloads no more.
    case stopping

    /// This outcome with `warning` added to a reload's warnings.
    func adding(warning: String) -> ReloadOutcome {
        guard case .reloaded(let changes, let deferred, let warnings) = self else { return self }
        return .reloaded(changes: changes, deferredSettings: deferred, warnings: warnings + [warning])
    }
}
