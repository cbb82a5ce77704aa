import FlintCore
import FlintStore
import FlintTriggers
import Foundation
import Logging
import Synchronization

/// A bucket watcher over a temporary buckets root, recording into a real object index (SQLite):
/// what it recorded is what the index took, in order.
final class BucketWatcherFixture: @unchecked Sendable {
    let directory: String
    let root: String
    let index: ObjectIndex
    private(set) var watcher: BucketWatcher?
    private var running: Task<Void, Never>?
    let sink: RecordingSink
    /// The watcher's warnings and errors, in order.
    let warnings = Warnings()

    /// Records through the index, keeping what it took (skipped changes are not kept).
    final class RecordingSink: BucketSink {
        let index: ObjectIndex
        let recorded = Mutex<[ObjectChange]>([])
        /// While closed, `record` waits: the watcher stops reading events, as a slow database
        /// would make it, and the kernel's queue fills.
        let gate = Mutex(true)

        init(index: ObjectIndex) { self.index = index }

        func indexedObjects(in bucket: String, under prefix: String) throws -> [ByteExactKey: IndexedObject] {
            try index.objects(in: bucket, under: prefix)
        }

        func record(_ changes: [ObjectChange]) throws {
            while !gate.withLock({ $0 }) { usleep(10_000) }
            let taken = try index.record(changes) { _ in [] }
            recorded.withLock { $0.append(contentsOf: taken.map(\.change)) }
        }
    }

    init() throws {
        directory = NSTemporaryDirectory() + "flint-watcher-\(UUID().uuidString)"
        root = directory + "/buckets"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        index = ObjectIndex(database: try FlintDatabase(path: directory + "/flint.sqlite"))
        sink = RecordingSink(index: index)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ bucket: String, _ key: String) -> String { "\(root)/\(bucket)/\(key)" }

    func write(_ bucket: String, _ key: String, _ text: String) throws {
        try write(bucket, key, Data(text.utf8))
    }

    func write(_ bucket: String, _ key: String, _ data: Data) throws {
        let path = path(bucket, key)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Starts watching `buckets`, and returns once the start-up scan has been recorded (but
    /// for files over `hashLimit`, which the hasher records when it has read them).
    func start(_ buckets: [String], hashLimit: Int64 = BucketWatcher.defaultHashLimit) async throws {
        let logger = Logger(label: "test") { [warnings] _ in WarningRecorder(warnings: warnings) }
        let watcher = try BucketWatcher(root: root, buckets: buckets, sink: sink, hashLimit: hashLimit, logger: logger)
        self.watcher = watcher
        running = Task { await watcher.run() }
        // The start-up scan creates each bucket directory and watches it before listing.
        try await eventually { buckets.allSatisfy { FileManager.default.fileExists(atPath: "\(self.root)/\($0)") } }
        try await Task.sleep(for: .milliseconds(200))
    }

    func stop() async {
        watcher?.stop()
        await running?.value
        watcher = nil
        running = nil
    }

    var changes: [ObjectChange] { sink.recorded.withLock { $0 } }

    func keys(_ kind: BucketTrigger.EventKind) -> [String] {
        changes.filter { $0.eventKind == kind }.map(\.key)
    }

    /// Polls `condition` every 20 ms for up to `timeout`.
    func eventually(timeout: Duration = .seconds(5), _ condition: @escaping () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct TimedOut: Error {}

    final class Warnings: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    /// Keeps the messages logged at `warning` and above.
    private struct WarningRecorder: LogHandler {
        let warnings: Warnings
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            warnings.append("\(event.message)")
        }
    }
}
