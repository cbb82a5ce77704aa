internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import FlintStore
internal import Foundation
internal import ServiceLifecycle

/// The exec runner, as the dispatcher sees it.
struct ExecRunnerExecutor: InvocationExecutor {
    let runner: ExecRunner

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        await runner.run(request, function: function)
    }
}

/// The ledger's group-commit writer, as the dispatcher sees it.
struct LedgerRecorder: InvocationRecorder {
    let writer: LedgerWriter

    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage],
        handoff: SlotHandoff?, committed: (@Sendable ([Lease], Date) -> Void)?
    ) {
        writer.record(
            result.record, log: result.log, settlements: settlements, publications: publications, nextClaim: handoff?.claim,
            committed: committed)
    }
}

/// Runs the ledger writer until shutdown reaches it, then commits what is left.
struct LedgerWriterService: Service {
    let writer: LedgerWriter

    func run() async throws {
        await withGracefulShutdownHandler {
            await writer.run()
        } onGracefulShutdown: {
            writer.finish()
        }
    }
}

/// On shutdown, refuses new invocations and waits for those in flight.
struct DispatcherService: Service {
    let dispatcher: Dispatcher

    func run() async throws {
        // Returns (or throws on cancellation) once shutdown begins; either way, drain.
        try? await gracefulShutdown()
        await dispatcher.drain()
    }
}

/// Runs `action` as soon as the daemon begins to stop, before any other service stops (it is
/// listed last): the bus consumer stops claiming while the listener still waits for its calls,
/// and the log streams end, which the listener would otherwise wait for.
struct ShutdownBeginsService: Service {
    let action: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        action()
    }
}
