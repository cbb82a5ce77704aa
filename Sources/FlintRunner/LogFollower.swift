/// One follower's side of a `LogHub`: what it follows, the events it has not read yet (bounded
/// in bytes), and its parked reader. Only ever touched under the hub's lock.
struct LogFollower {
    let function: String
    /// Only this invocation's lines, and an end when it ends; nil for every invocation.
    let invocation: String?
    /// Unread events from `head` on (a consumed prefix is cut off once it is half the array).
    private var pending: [HandlerLogEvent] = []
    private var head = 0
    private var pendingBytes = 0
    /// The reader, parked in `LogSubscription.next()` while `pending` is empty.
    var waiter: CheckedContinuation<HandlerLogEvent?, Never>?
    /// A final event has been offered: nothing more is accepted.
    private(set) var isFinished = false

    init(function: String, invocation: String?) {
        self.function = function
        self.invocation = invocation
    }

    func wants(function: String, invocation: String) -> Bool {
        self.function == function && (self.invocation == nil || self.invocation == invocation)
    }

    /// Hands `event` to the parked reader (returned, to be resumed outside the lock), or queues
    /// it. A line that would take the queue past `byteLimit` is dropped and counted in a
    /// `.dropped` event at the queue's end, so the reader learns of the gap where it happened.
    /// Never waits: the publisher is a supervisor thread that must get back to its handler.
    mutating func offer(_ event: HandlerLogEvent, byteLimit: Int) -> CheckedContinuation<HandlerLogEvent?, Never>? {
        guard !isFinished else { return nil }
        if event.isFinal { isFinished = true }
        if let waiter {
            self.waiter = nil
            return waiter
        }
        if case .line(let line) = event {
            let size = Self.size(of: line)
            guard pendingBytes + size <= byteLimit else {
                if pending.count > head, case .dropped(let count) = pending.last {
                    pending[pending.count - 1] = .dropped(count + 1)
                } else {
                    pending.append(.dropped(1))
                }
                return nil
            }
            pendingBytes += size
        }
        pending.append(event)
        return nil
    }

    /// The oldest queued event, if any.
    mutating func take() -> HandlerLogEvent? {
        guard head < pending.count else { return nil }
        let event = pending[head]
        head += 1
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= pending.count / 2 {
            pending.removeFirst(head)
            head = 0
        }
        if case .line(let line) = event { pendingBytes -= Self.size(of: line) }
        return event
    }

    /// What a queued line costs: its text, plus its ids and bookkeeping.
    private static func size(of line: HandlerLogLine) -> Int {
        line.text.utf8.count + line.invocation.utf8.count + 64
    }
}
