internal import FlintCore
internal import FlintDispatch
internal import FlintRunner

/// Tells the log hub which invocations are running, whatever runs them, so that
/// `flint logs --invocation ID -f` can tell a running invocation from one not begun. The hub
/// hears of the end from the dispatcher's observer, once the record is with the ledger writer.
struct LogTrackingExecutor: InvocationExecutor {
    let hub: LogHub
    let inner: any InvocationExecutor

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        hub.begin(invocation: request.id, function: request.function)
        return await inner.execute(request, function: function)
    }
}
