internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import ServiceLifecycle

/// The warm-instance runner, as the dispatcher sees it.
struct LambdaRunnerExecutor: InvocationExecutor {
    let runner: LambdaRunner

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        await runner.run(request, function: function)
    }
}

/// Stops every warm instance once shutdown reaches it: after the dispatcher has drained, so no
/// invocation is running on them, and before the ledger's last commit.
struct LambdaInstancesService: Service {
    let runner: LambdaRunner

    func run() async throws {
        try? await gracefulShutdown()
        await runner.shutdown()
    }
}
