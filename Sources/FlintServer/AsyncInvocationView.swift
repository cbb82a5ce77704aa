public import FlintCore
public import Foundation

/// An asynchronous invocation as `GET /v1/invocations/{id}` shows it: where its delivery stands,
/// and its latest attempt's row once one has ended.
public struct AsyncInvocationView: Codable, Sendable, Hashable {
    public var id: String
    public var function: String
    /// `pending` (not started), `running`, `retrying` (failed, waiting for its next attempt),
    /// `done` (succeeded) or `dead` (failed after its last retry; see `flint deadletters`).
    public var status: String
    public var attempts: Int
    /// The latest attempt's outcome, once one has ended.
    public var outcome: String?
    public var lastError: String?
    /// When a retrying invocation's next attempt is due.
    public var nextAttemptAt: Date?
    public var invocation: InvocationView?

    public init(id: String, status: DeliveryStatus, latest: InvocationRecord?) {
        self.id = id
        function = status.function
        attempts = status.attempt
        switch status.state {
        case .ready: self.status = status.attempt == 0 ? "pending" : "retrying"
        case .leased: self.status = "running"
        case .done: self.status = "done"
        case .dead: self.status = "dead"
        }
        // Nothing of this round has ended while its first attempt waits or runs: `latest` is then
        // an earlier round's (before a replay of the dead letter), not this one's.
        let noneEnded = status.attempt == 0 || (status.state == .leased && status.attempt <= 1)
        outcome = noneEnded ? nil : latest?.outcome.rawValue
        lastError = status.state == .done ? nil : status.lastError
        nextAttemptAt = status.state == .ready && status.attempt > 0 ? status.visibleAt : nil
        invocation = noneEnded ? nil : latest.map(InvocationView.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, function, status, attempts, outcome
        case lastError = "last_error"
        case nextAttemptAt = "next_attempt_at"
        case invocation
    }
}
