public import FlintCore

/// Runs one invocation of a function to completion (FlintRunner's side, seen through a protocol).
public protocol InvocationExecutor: Sendable {
    /// Never throws: every failure is an outcome in the result's record.
    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult
}

/// Keeps finished invocations (FlintStore's side, seen through a protocol).
public protocol InvocationRecorder: Sendable {
    /// Keeps `result` together with the bus deliveries it settles and the messages it publishes,
    /// all in one transaction, then calls `committed` (also when the commit failed). Must not
    /// block: the ledger commits in the background. Without `committed` (and nothing settled or
    /// published), nothing waits for the commit, which may then be put off a little to serve more.
    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage],
        committed: (@Sendable () -> Void)?
    )
}

extension InvocationRecorder {
    /// Keeps an invocation that settles nothing on the bus (a synchronous one).
    public func record(_ result: InvocationResult) {
        record(result, settlements: [], publications: [], committed: nil)
    }
}
