internal import DequeModule
internal import FlintCore
internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// Reads large objects (their MD5) on a thread of its own, `flint-hash`, so that one huge file
/// holds up no other object's event: the watcher's thread reads small files itself and hands the
/// large ones here. Readings come back in the order they were asked for; `descriptor` is readable
/// while some wait to be taken.
final class ObjectHasher: Sendable {
    /// An object to read again, as it is when its turn comes.
    struct Request: Sendable, Hashable {
        var bucket: String
        var key: String
        /// Renamed into the bucket (`.moved`), rather than written in place or found by a scan.
        var moved: Bool

        func change(_ version: ObjectVersion) -> ObjectChange.Kind { moved ? .moved(version) : .put(version) }
    }

    struct Reading: Sendable {
        var request: Request
        var reading: ObjectFile.Reading
    }

    private struct State {
        var waiting: Deque<Request> = []
        var done: [Reading] = []
        var stopped = false
    }

    /// The buckets root: a request's file is `root/bucket/key`.
    let root: String
    private let state = Mutex(State())
    private let work = DispatchSemaphore(value: 0)
    private let readable: WakePipe

    init(root: String) throws(WakePipe.CreationError) {
        self.root = root
        readable = try WakePipe()
    }

    /// Poll it for `POLLIN`: readable while readings wait for `takeReadings()`.
    var descriptor: Int32 { readable.descriptor }

    /// Starts the hashing thread; it ends after `stop()`.
    func start() {
        DedicatedThread.start(named: "flint-hash") { [self] in loop() }
    }

    /// Stops hashing, the file being read included; what was asked and not yet read is dropped.
    func stop() {
        state.withLock { $0.stopped = true }
        work.signal()
    }

    func submit(_ request: Request) {
        state.withLock { $0.waiting.append(request) }
        work.signal()
    }

    /// The readings done since the last call, in the order they were asked for.
    func takeReadings() -> [Reading] {
        readable.drain()
        return state.withLock { state in
            defer { state.done.removeAll() }
            return state.done
        }
    }

    private func loop() {
        while true {
            work.wait()
            guard let request = state.withLock({ $0.stopped ? nil : $0.waiting.popFirst() }) else {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            let reading = ObjectFile.reading(inBucket: "\(root)/\(request.bucket)", key: request.key) {
                self.state.withLock { $0.stopped }
            }
            state.withLock { $0.done.append(Reading(request: request, reading: reading)) }
            readable.signal()
        }
    }
}
