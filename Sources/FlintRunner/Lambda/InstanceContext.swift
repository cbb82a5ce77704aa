import FlintCore
import Logging

/// What every instance of a `LambdaRunner` shares: limits, identity, where scratch goes.
struct InstanceContext: Sendable {
    let workRoot: String
    let settings: ExecRunnerSettings
    /// The account in `Lambda-Runtime-Invoked-Function-Arn`.
    let account: String
    let host: HostLimits
    /// The user and cgroup every instance gets (`isolation: sandbox` is refused for lambda).
    let isolation: HandlerIsolation
    /// Where the running invocation's log lines go live, if anywhere.
    let logHub: LogHub?
    let logger: Logger

    func functionARN(_ function: String) -> String {
        "arn:aws:lambda:\(settings.region):\(account):function:\(function)"
    }
}

/// How an invocation handed to an instance ended, for the pool.
enum InstanceOutcome: Sendable {
    /// It ran (or failed); `reusable` when the instance can take another one.
    case finished(InvocationResult, reusable: Bool)
    /// The instance had stopped before it could take the invocation: try another.
    case unavailable
}
