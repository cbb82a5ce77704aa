public import FlintCore
public import Foundation

/// Stops a chain of invocations caused by each other (a function whose outputs trigger it again,
/// directly or through others) at `CausationDepth.limit`, as Lambda's recursive loop detection
/// does: the invocation is not run, and its ledger row says why.
public enum LoopGuard {
    /// The result of not running `request`, if its depth reached the limit; nil if it may run.
    public static func stop(_ request: InvocationRequest, function: FunctionManifest, at now: Date = Date()) -> InvocationResult? {
        guard request.depth >= CausationDepth.limit else { return nil }
        return .notRun(
            request, function: function, outcome: .loopStopped,
            message: "not run: \(request.depth) invocations, each caused by the one before, led to this event (does \(function.name) write into a bucket that triggers it?); chains stop at depth \(CausationDepth.limit)",
            at: now
        )
    }
}
