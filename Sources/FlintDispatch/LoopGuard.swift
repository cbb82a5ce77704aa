public import FlintCore
public import Foundation

/// Stops a chain of invocations caused by each other (a function whose outputs trigger it again,
/// directly or through others) at `CausationDepth.limit`, as Lambda's recursive loop detection
/// does: the invocation is not run, and its ledger row says why.
public enum LoopGuard {
    /// The result of not running `request`, if its depth reached the limit; nil if it may run.
    public static func stop(_ request: InvocationRequest, function: FunctionManifest, at now: Date = Date()) -> InvocationResult? {
        guard request.depth >= CausationDepth.limit else { return nil }
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source, attempt: request.attempt,
            startedAt: now, endedAt: now, durationMicros: 0, memoryLimitMB: function.memoryMB,
            peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0, exitCode: nil, signal: nil, coldStart: false,
            outcome: .loopStopped,
            errorMessage: "not run: \(request.depth) invocations, each caused by the one before, led to this event (does \(function.name) write into a bucket that triggers it?); chains stop at depth \(CausationDepth.limit)"
        )
        return InvocationResult(record: record, output: Data(), log: Data())
    }
}
