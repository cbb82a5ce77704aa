/// Turns the daemon's `dropped` records, which say how many lines a follower lost by reading
/// more slowly than handlers wrote, into few notices: the first loss is told at once, later
/// ones are added up and told at most once a second, and whatever is untold when the stream
/// ends is told last. A burst of a thousand gaps so makes a handful of notices, with exact counts.
struct DroppedLineNotices {
    /// The least time between two notices.
    static let interval = Duration.seconds(1)

    /// The function followed, named in the advice of the first notice.
    let function: String
    private var untold = 0
    private var lastToldAt: ContinuousClock.Instant?

    init(function: String) {
        self.function = function
    }

    /// When the lines left out since the last notice are due to be told; nil while none are.
    var dueAt: ContinuousClock.Instant? {
        guard untold > 0 else { return nil }
        return lastToldAt.map { $0 + Self.interval } ?? .now
    }

    /// Counts `count` more lines left out, and returns the notice to print now, if one is due.
    mutating func add(_ count: Int) -> String? {
        untold += count
        return due()
    }

    /// The notice to print now, if one is due. Reads the clock only while lines are untold.
    mutating func due() -> String? {
        guard let dueAt else { return nil }
        let now = ContinuousClock.now
        return dueAt <= now ? tell(at: now) : nil
    }

    /// The notice of the lines left out and not told yet, once the stream has ended.
    mutating func rest() -> String? {
        untold > 0 ? tell(at: .now) : nil
    }

    private mutating func tell(at now: ContinuousClock.Instant) -> String {
        defer {
            untold = 0
            lastToldAt = now
        }
        guard lastToldAt != nil else {
            return "\(untold) line(s) left out: handlers wrote faster than this reader took them; "
                + "once an invocation has ended, flint logs \(function) --invocation ID prints its stored log"
        }
        return "\(untold) more line(s) left out"
    }
}
