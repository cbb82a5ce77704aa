internal import FlintCore
internal import Foundation
public import Logging
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// Watches the buckets' directories with inotify (libinotifytools) and turns what happens in
/// them into object changes for the sink.
///
/// One thread of its own owns the library (it keeps process-wide state). At start it watches
/// every directory of each bucket and scans them against the index, so what changed while
/// nobody watched fires once; after an `IN_Q_OVERFLOW` it scans again. Events are hints: each
/// is checked against the file as it is now, and the index skips what it already holds, so a
/// repeated event or a rescan never fires twice.
public final class BucketWatcher: Sendable {
    public let root: String
    public let buckets: [String]
    /// Files up to this size are read (for their MD5) by the watcher's thread itself, larger ones
    /// on a thread of their own, so that one huge file does not hold up every other event.
    public let hashLimit: Int64
    /// About 10 ms of reading here.
    public static let defaultHashLimit: Int64 = 4 << 20
    let sink: any BucketSink
    let logger: Logger
    /// Signalled by `stop()`; the watcher's thread polls it with the inotify descriptor.
    private let stopSignal: StopSignal

    private struct Readiness {
        /// The buckets watched, once the watcher has got that far (or given up: none).
        var watched: [String]?
        /// Those waiting in `watching`, by their number, until answered or timed out.
        var waiters: [Int: CheckedContinuation<[String]?, Never>] = [:]
        var nextWaiter = 0
    }

    private let readiness = Mutex(Readiness())

    /// Initialises libinotifytools at once (its `select()` needs a descriptor below 1024, so
    /// before the daemon opens many).
    ///
    /// - Parameters:
    ///   - root: the buckets root, absolute.
    ///   - buckets: the buckets to watch (directory names under `root`); created if missing.
    ///   - hashLimit: the largest file the watcher's thread reads itself.
    public init(
        root: String, buckets: [String], sink: any BucketSink, hashLimit: Int64 = defaultHashLimit, logger: Logger
    ) throws(InotifySupport.Unavailable) {
        try InotifySupport.initialize()
        do {
            stopSignal = try StopSignal()
        } catch {
            throw InotifySupport.Unavailable(description: "cannot create the bucket watcher's stop pipe: \(error)")
        }
        self.root = root
        self.buckets = buckets
        self.hashLimit = hashLimit
        self.sink = sink
        self.logger = logger
    }

    /// Returns once every bucket directory is watched (or the watcher has given up): from then
    /// on no change can be missed, while the start-up scan may still be recording what changed
    /// before. Returns the buckets watched: not one that could not be created or is a symlink.
    @discardableResult
    public func watching() async -> [String] {
        // Without a timeout the answer is never nil.
        await watching(within: nil) ?? []
    }

    /// `watching()`, giving up after `timeout` (if any): nil if the buckets are not all watched
    /// by then (a second watcher waits for the first to be done with libinotifytools, which
    /// finishes its start-up scan first).
    public func watching(within timeout: Duration?) async -> [String]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[String]?, Never>) in
            let (watched, number) = readiness.withLock { state -> ([String]?, Int) in
                if let watched = state.watched { return (watched, 0) }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return (nil, state.nextWaiter)
            }
            if let watched {
                continuation.resume(returning: watched)
                return
            }
            guard let timeout else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval) { [self] in
                readiness.withLock { $0.waiters.removeValue(forKey: number) }?.resume(returning: nil)
            }
        }
    }

    /// Says which buckets are watched; the first call counts.
    func markWatching(_ buckets: [String]) {
        let (watched, waiters) = readiness.withLock { state in
            let watched = state.watched ?? buckets
            state.watched = watched
            defer { state.waiters.removeAll() }
            return (watched, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: watched) }
    }

    /// Watches on a thread of its own until `stop()` (or cancellation).
    public func run() async {
        await DedicatedThread.run(named: "flint-buckets", { [self] in watch() }, stop: { [self] in stop() })
    }

    /// Stops watching. Events not yet read are not lost: the next start-up scan finds them.
    public func stop() {
        stopSignal.signal()
    }

    /// Held by the thread that uses libinotifytools: a second watcher in the same process (tests
    /// start one after another) waits for the first to be done with the library's global state.
    private static let libraryOwner = NSLock()

    private func watch() {
        Self.libraryOwner.lock()
        defer { Self.libraryOwner.unlock() }
        // Whatever happens below, nobody waits for readiness forever.
        defer { markWatching([]) }
        let watches: InotifyWatches
        do {
            watches = try InotifyWatches(root: root)
        } catch {
            logger.error("bucket triggers are not active: \(error)")
            return
        }
        defer { watches.unwatchAll() }
        let hasher: ObjectHasher
        do {
            hasher = try ObjectHasher(root: root)
        } catch {
            logger.error("bucket triggers are not active: cannot create the object hasher's pipe: \(error)")
            return
        }
        hasher.start()
        // What it has not read yet is found by the next start-up scan: the index does not have it.
        defer { hasher.stop() }
        var session = WatchSession(watcher: self, watches: watches, hasher: hasher)
        session.start()
        // Events are read from the kernel many at once and handled a batch at a time. While a
        // batch may have left some read but not handled (poll(2) cannot see those), the next poll
        // does not wait: they come next, after a look at the stop and at the hasher's readings,
        // neither of which a steady stream of events may hold off.
        var morePending = false
        while true {
            var fds = [
                pollfd(fd: watches.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopSignal.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: hasher.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, morePending ? 0 : -1)
            if ready < 0, errno != EINTR {
                logger.error("bucket watcher cannot wait for events: \(String(cString: strerror(errno))); bucket triggers stop until Flint restarts")
                return
            }
            if fds[1].revents != 0 { return }
            if morePending || fds[0].revents != 0 { morePending = session.processEventBatch() }
            if fds[2].revents != 0 { session.recordHashed() }
        }
    }

    /// Runs `body` until it succeeds or the watcher stops, waiting longer after each failure:
    /// a locked or full database must delay events, not lose them. Nil if stopped first.
    func persistently<T>(_ what: String, _ body: () throws -> T) -> T? {
        var delay = 0.05
        while true {
            do {
                return try body()
            } catch {
                logger.error("bucket watcher could not \(what): \(error); retrying in \(delay)s")
            }
            if stopSignal.wait(milliseconds: Int32(delay * 1000)) { return nil }
            delay = min(delay * 2, 5)
        }
    }
}
