/// What a `LogSubscription` yields.
public enum HandlerLogEvent: Sendable, Hashable {
    case line(HandlerLogLine)
    /// This many lines were left out because the follower read too slowly; the lines after this
    /// event come after the gap.
    case dropped(Int)
    /// The followed invocation has ended (and its record was handed to the ledger). Last event.
    case invocationEnded(String)
    /// The hub was closed: the daemon is stopping. Last event.
    case stopped

    /// Whether nothing follows this event.
    var isFinal: Bool {
        switch self {
        case .invocationEnded, .stopped: true
        case .line, .dropped: false
        }
    }
}
