internal import FlintCore
internal import FlintStore
internal import Foundation
internal import Logging
internal import ServiceLifecycle
internal import Synchronization

/// Every `interval` (`bus.prune_every`), deletes what is past its retention period: done
/// deliveries and old messages (`bus.retention`), and invocation records with their log tails
/// (`ledger.retention`).
struct RetentionService: Service {
    let bus: Bus
    let ledger: InvocationLedger
    let busRetention: Duration
    let ledgerRetention: Duration
    let interval: Duration
    let logger: Logger

    /// Set when the service is told to stop: a long pass (the first after an upgrade, say) then
    /// ends after its current chunk instead of holding up the shutdown.
    private final class Stopping: Sendable {
        let flag = Atomic(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
    }

    func run() async throws {
        let stopping = Stopping()
        await cancelWhenGracefulShutdown {
            // Inside: a graceful shutdown cancels this task (the one running the passes), not
            // the service's own.
            await withTaskCancellationHandler {
                while !Task.isCancelled {
                    await pruneOnce(now: Date(), stopping: stopping)
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return
                    }
                }
            } onCancel: {
                stopping.flag.store(true, ordering: .relaxed)
            }
        }
        try? await gracefulShutdown()
    }

    private func pruneOnce(now: Date, stopping: Stopping) async {
        let busCutoff = now.addingTimeInterval(-busRetention.timeInterval)
        await prune("the bus") { [bus] in
            let pruned = try bus.prune(before: busCutoff, while: { !stopping.isSet })
            guard pruned.deliveries + pruned.messages > 0 else { return nil }
            return "pruned \(pruned.deliveries) done deliveries and \(pruned.messages) messages older than bus.retention (\(DurationText.format(busRetention)))"
        }
        let ledgerCutoff = now.addingTimeInterval(-ledgerRetention.timeInterval)
        await prune("the invocation ledger") { [ledger] in
            let pruned = try ledger.prune(before: ledgerCutoff, while: { !stopping.isSet })
            guard pruned > 0 else { return nil }
            return "pruned \(pruned) invocation record(s) and their logs older than ledger.retention (\(DurationText.format(ledgerRetention)))"
        }
    }

    /// Runs `delete` off the cooperative pool and logs what it says it did, or why it failed.
    private func prune(_ store: String, _ delete: @escaping @Sendable () throws -> String?) async {
        do {
            if let done = try await Offload.run(delete) { logger.info("\(done)") }
        } catch {
            logger.error("could not prune \(store): \(error)")
        }
    }
}
