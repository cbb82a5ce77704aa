internal import FlintCore
internal import FlintRunner
internal import FlintStore
internal import Logging

/// What lives as long as the daemon, whatever project configuration is current: the database and
/// its writers, the listener's address and token, the isolation (from flint.yaml, which a reload
/// does not change), the runners (exec and warm lambda instances), and what observes every
/// configuration (logs, metrics).
struct DaemonCore: Sendable {
    let listen: ListenAddress
    let files: DaemonFiles
    let adminToken: String
    let identity: LambdaIdentity
    let database: FlintDatabase
    /// Runs the database's checkpoints; `/metrics` shows its status.
    let checkpointer: WALCheckpointer
    let ledger: InvocationLedger
    let writer: LedgerWriter
    let bus: Bus
    let isolation: HandlerIsolation
    let runner: ExecRunner
    /// The warm instances of `runtime: lambda` functions, kept across reloads so that a function's
    /// `concurrency` holds for its instances of every generation.
    let lambdaRunner: LambdaRunner
    let logHub: LogHub
    let metrics: DaemonMetrics
    /// The causation depths of files functions move into buckets: an invocation started before a
    /// reload moves its outputs after it.
    let outputCausation = OutputCausation()
    /// The host-wide cap on handler processes (flint.yaml's `concurrency`).
    let hostConcurrency: Int
    /// Where `POST /v1/reload` asks for a reload.
    let reloadRequests: ReloadRequests
    let logger: Logger
    let console: @Sendable (String) -> Void

    /// The token callers of the Lambda Invoke and metrics APIs need: none on a loopback listener.
    var apiToken: String? { listen.isLoopback ? nil : adminToken }
}
