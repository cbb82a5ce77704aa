public import FlintCore
public import Foundation

/// Runs one invocation of a function to completion (FlintRunner's side, seen through a protocol).
public protocol InvocationExecutor: Sendable {
    /// Never throws: every failure is an outcome in the result's record.
    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult
}

/// Keeps finished invocations (FlintStore's side, seen through a protocol).
public protocol InvocationRecorder: Sendable {
    /// Keeps `result` together with the bus deliveries it settles and the messages it publishes,
    /// all in one transaction, claims in it what `handoff` asks for (if it is still wanted), then
    /// calls `committed` with the leases claimed (none if the commit failed) and when they were
    /// claimed (what giving them back needs). Must not block: the
    /// ledger commits in the background. Without `committed` (and nothing settled or published),
    /// nothing waits for the commit, which may then be put off a little to serve more.
    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage],
        handoff: SlotHandoff?, committed: (@Sendable (_ claimed: [Lease], _ claimedAt: Date) -> Void)?
    )
}

extension InvocationRecorder {
    /// Keeps an invocation that settles nothing on the bus (a synchronous one).
    public func record(_ result: InvocationResult) {
        record(result, settlements: [], publications: [], handoff: nil, committed: nil)
    }
}
