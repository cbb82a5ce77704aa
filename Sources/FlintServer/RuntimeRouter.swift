internal import FlintCore
internal import FlintDispatch

/// The dispatcher's one executor: `exec` functions to the exec chain (which collects bucket
/// outputs), `lambda` functions to their warm instances.
struct RuntimeRouter: InvocationExecutor {
    let exec: any InvocationExecutor
    let lambda: any InvocationExecutor

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        switch function.runtime {
        case .exec: await exec.execute(request, function: function)
        case .lambda: await lambda.execute(request, function: function)
        }
    }
}
