internal import Synchronization

/// Whether the caller of synchronous invocations is still there to take their answers: an HTTP
/// client is gone once its connection closes.
///
/// A call still waiting for a slot when its caller goes is dropped, never run: nobody would get
/// its answer, and a client that retries a timed-out call (botocore does) would otherwise queue
/// copies that all run. A call already running runs to its end, as Lambda's do.
///
/// The server binds one per connection to `current` for the connection's requests; the
/// dispatcher reads it there.
public final class CallerPresence: Sendable {
    @TaskLocal public static var current: CallerPresence?

    private struct State {
        var gone = false
        var nextID: UInt64 = 0
        var watchers: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var isGone: Bool { state.withLock { $0.gone } }

    /// The caller has gone: runs every watcher, once.
    public func markGone() {
        let watchers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.gone else { return [] }
            state.gone = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher() }
    }

    /// Runs `body`, calling `onGone` if the caller goes meanwhile (at once if it has gone already).
    func watching<T>(onGone: @escaping @Sendable () -> Void, _ body: () async -> T) async -> T {
        let id = state.withLock { state -> UInt64? in
            guard !state.gone else { return nil }
            state.nextID += 1
            state.watchers[state.nextID] = onGone
            return state.nextID
        }
        guard let id else {
            // Gone already: `body` sees it (`isGone`) and refuses; `onGone` is called all the same.
            onGone()
            return await body()
        }
        let result = await body()
        state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        return result
    }
}

extension CallerPresence? {
    /// As `CallerPresence.watching`; without a caller to watch (a call not made over HTTP), just `body`.
    func watching<T>(onGone: @escaping @Sendable () -> Void, _ body: () async -> T) async -> T {
        guard let self else { return await body() }
        return await self.watching(onGone: onGone, body)
    }
}
