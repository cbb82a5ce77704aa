internal import FlintCore
internal import FlintStore
internal import FlintTriggers
internal import Foundation
internal import Logging
internal import ServiceLifecycle

/// The daemon's bucket side: which buckets are watched, the output buckets functions write
/// into, and the causation shared by the output mover and the watcher's events.
struct BucketWatching: Sendable {
    let project: Project
    let logger: Logger
    /// The daemon's (`DaemonCore`), shared by every configuration.
    let causation: OutputCausation
    /// The buckets bucket triggers name, sorted; none means no watcher.
    let watchedBuckets: [String]

    init(project: Project, causation: OutputCausation, logger: Logger) throws {
        self.project = project
        self.causation = causation
        self.logger = logger
        watchedBuckets = Set(project.triggers.compactMap { trigger -> String? in
            guard case .bucket(let bucket) = trigger.source else { return nil }
            return bucket.bucket
        }).sorted()
        guard !watchedBuckets.isEmpty else { return }
        do {
            try InotifySupport.initialize()
        } catch {
            throw DaemonError.startup("bucket triggers cannot run: \(error)")
        }
    }

    /// Functions' `output` buckets exist before any invocation moves a file into one.
    func createOutputBuckets() throws {
        for bucket in Set(project.functions.values.compactMap(\.output)).sorted() {
            let path = "\(project.bucketsDirectory)/\(bucket)"
            do throws(DirectoryMaker.Failure) {
                try DirectoryMaker.make(path, mode: 0o755)
            } catch {
                throw DaemonError.startup("cannot create output bucket \(bucket) at \(path): \(error)")
            }
            // Outputs are moved without following symlinks (OutputMover): say so now, not at the first move.
            if let problem = project.outputBucketProblem(bucket) { throw DaemonError.startup(problem) }
        }
    }

    /// The watcher, or nil when no trigger watches a bucket.
    func watcher(
        index: ObjectIndex, identity: LambdaIdentity, metrics: DaemonMetrics, starter: BucketEventStarter
    ) throws -> BucketWatcher? {
        guard !watchedBuckets.isEmpty else { return nil }
        let triggers = project.triggers.compactMap { trigger -> ObjectEventSink.Trigger? in
            guard case .bucket(let bucket) = trigger.source else { return nil }
            return ObjectEventSink.Trigger(name: trigger.name, bucket: bucket)
        }
        let sink = ObjectEventSink(
            index: index, triggers: triggers, root: project.bucketsDirectory, identity: identity, causation: causation, metrics: metrics,
            starter: starter
        )
        do {
            return try BucketWatcher(root: project.bucketsDirectory, buckets: watchedBuckets, sink: sink, logger: logger)
        } catch {
            throw DaemonError.startup("bucket triggers cannot run: \(error)")
        }
    }
}

/// Watches buckets until shutdown (intake stops first); with no bucket trigger, only waits.
struct BucketWatcherService: Service {
    let watcher: BucketWatcher?

    func run() async throws {
        if let watcher {
            await withGracefulShutdownHandler {
                await watcher.run()
            } onGracefulShutdown: {
                watcher.stop()
            }
        }
        // A watcher that could not go on has said why; the other triggers keep running (a
        // service that returns early would stop the whole group).
        try? await gracefulShutdown()
    }
}
