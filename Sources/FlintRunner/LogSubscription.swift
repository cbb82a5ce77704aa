/// A live follower of a `LogHub`: read it with `next()`; it ends (nil) after a final event, on
/// `cancel()`, when the reading task is cancelled, or when it is released.
public final class LogSubscription: Sendable {
    private let hub: LogHub
    private let id: UInt64

    init(hub: LogHub, id: UInt64) {
        self.hub = hub
        self.id = id
    }

    /// The next event, waiting for one; nil once the subscription has ended.
    public func next() async -> HandlerLogEvent? {
        await hub.next(id)
    }

    /// Stops following; a reader waiting in `next()` gets nil.
    public func cancel() {
        hub.cancel(id)
    }

    deinit {
        hub.cancel(id)
    }
}
