internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import Foundation
internal import Logging

/// Gives each invocation of a function with an `output` bucket a scratch directory
/// (`FLINT_OUTPUT_DIR`), and moves what the handler left there into the bucket when it
/// succeeds; a failed invocation's outputs are discarded, so its retry starts clean.
struct OutputCollectingExecutor: InvocationExecutor {
    let inner: any InvocationExecutor
    /// Where scratch directories are made: on the buckets' filesystem (the data directory), so
    /// moving an output is one rename.
    let scratchRoot: String
    let bucketsRoot: String
    let causation: OutputCausation
    /// The buckets bucket triggers watch: outputs moved elsewhere cause no event.
    let watchedBuckets: Set<String>
    let logger: Logger

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        guard let bucket = function.output else { return await inner.execute(request, function: function) }
        let scratch = "\(scratchRoot)/\(request.id)"
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return .notRun(request, function: function, outcome: .error, message: "could not create the output directory \(scratch): \(error)")
        }
        defer {
            do {
                // The handler user owns what is in it: never removed through a path.
                try HandlerTree.remove(scratch)
            } catch {
                logger.warning(
                    "could not remove the output directory \(scratch): \(error)",
                    metadata: ["flint.invocation.id": "\(request.id)", "flint.function": "\(function.name)"]
                )
            }
        }
        var request = request
        request.outputDirectory = scratch
        var result = await inner.execute(request, function: function)
        guard result.record.outcome.isSuccess else { return result }
        let isWatched = watchedBuckets.contains(bucket)
        let mover = OutputMover(bucketPath: "\(bucketsRoot)/\(bucket)", causation: isWatched ? causation : nil, depth: request.depth + 1)
        do {
            let metadata: Logger.Metadata = ["flint.invocation.id": "\(request.id)", "flint.function": "\(function.name)"]
            _ = try mover.moveAll(from: scratch, unnamable: { path in
                logger.warning(
                    "output \(path) was left out of bucket \(bucket): its name is not UTF-8, so no object key can name it; name outputs in UTF-8",
                    metadata: metadata)
            }, madeBucket: {
                guard isWatched else { return }
                logger.warning(
                    "output bucket \(bucket) was deleted while Flint runs: it is made again for these outputs, but its triggers fire only once flint reload (or a restart) watches it again, for what was moved into it meanwhile too",
                    metadata: metadata)
            })
        } catch {
            // Outputs moved before the failure stay: each is whole, and a retry rewrites it.
            result.record.outcome = .error
            result.record.errorMessage = "the handler succeeded, but its outputs could not all be moved into bucket \(bucket): \(error)"
        }
        return result
    }
}
