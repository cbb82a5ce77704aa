internal import DequeModule
internal import FlintCore
internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// An object of a bucket, by its key, compared byte for byte (see `ByteExactKey`).
struct BucketObject: Sendable, Hashable {
    var bucket: String
    var key: String

    static func == (lhs: BucketObject, rhs: BucketObject) -> Bool {
        lhs.bucket == rhs.bucket && ByteExactKey(lhs.key) == ByteExactKey(rhs.key)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(bucket)
        hasher.combine(ByteExactKey(key))
    }
}

/// Reads large objects (their MD5) on a thread of its own, `flint-hash`, so that one huge file
/// holds up no other object's event: the watcher's thread reads small files itself and hands the
/// large ones here. Readings come back in the order they were asked for; `descriptor` is readable
/// while some wait to be taken.
final class ObjectHasher: Sendable {
    /// What to say of an object when its turn comes.
    struct Request: Sendable, Hashable {
        enum Kind: Sendable, Hashable {
            /// Read it as it is then. `moved`: renamed into the bucket, rather than written in
            /// place or found by a scan.
            case read(moved: Bool)
            /// It is gone (an event or a scan said so): no read.
            case remove

            func change(_ version: ObjectVersion) -> ObjectChange.Kind {
                if case .read(moved: true) = self { .moved(version) } else { .put(version) }
            }
        }

        var object: BucketObject
        var kind: Kind
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

    /// Queues `request`, unless the same request is the last one of its object still waiting
    /// (a second close or a rescan of a file not read yet: one read, when its turn comes, tells
    /// what both would). Returns whether it was queued: each queued request gets its reading.
    func submit(_ request: Request) -> Bool {
        let queued = state.withLock { state -> Bool in
            let lastOfObject = state.waiting.last { $0.object == request.object }
            guard lastOfObject != request else { return false }
            state.waiting.append(request)
            return true
        }
        if queued { work.signal() }
        return queued
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
            let reading: ObjectFile.Reading
            switch request.kind {
            case .read:
                reading = ObjectFile.reading(inBucket: "\(root)/\(request.object.bucket)", key: request.object.key) {
                    self.state.withLock { $0.stopped }
                }
            case .remove:
                reading = .absent
            }
            state.withLock { $0.done.append(Reading(request: request, reading: reading)) }
            readable.signal()
        }
    }
}
