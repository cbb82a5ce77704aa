internal import FlintCore
internal import FlintRunner
internal import Logging
internal import ServiceLifecycle

/// Bounds a stop's drain: once shutdown begins, invocations still running `drainTimeout` later
/// are killed (outcome `killed`), so the dispatcher's drain ends and the daemon exits. What a
/// killed invocation was delivering goes back to the bus (`BusDelivery.settle`), and a warm
/// instance killed under its invocation is stopped for good.
///
/// In the service group after the HTTP server, so it is told of the shutdown before the server
/// waits for its requests, which wait for their invocations.
struct DrainDeadlineService: Service {
    let drainTimeout: Duration
    let execRunner: ExecRunner
    let lambdaRunner: LambdaRunner
    /// Invocations in flight now, all generations together.
    let running: @Sendable () -> Int
    let logger: Logger
    let console: @Sendable (String) -> Void

    func run() async throws {
        try? await gracefulShutdown()
        // Said at once: without it, an operator sees nothing for up to drain_timeout.
        let inFlight = running()
        if inFlight > 0 {
            let limit = DurationText.format(drainTimeout)
            console("flint: stopping: waiting up to \(limit) (drain_timeout) for \(inFlight) running invocation\(inFlight == 1 ? "" : "s") to finish")
        }
        // Detached: the group waits for run() to return before it stops the next service, and
        // the timer must run while the others drain. The process exits when they have.
        Task.detached { [self] in
            try? await Task.sleep(for: drainTimeout)
            await killWhatStillRuns()
        }
    }

    private func killWhatStillRuns() async {
        let left = running()
        guard left > 0 else { return }
        let limit = DurationText.format(drainTimeout)
        console("flint: \(left) invocation(s) still running \(limit) after the stop (drain_timeout \(limit)); killing them, their messages go back to the bus")
        logger.warning("drain deadline passed; killing the invocations still running", metadata: ["flint.running": "\(left)"])
        execRunner.interruptAll()
        await lambdaRunner.shutdown()
    }
}
