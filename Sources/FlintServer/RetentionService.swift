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
        do {
            let pruned = try await Offload.run { [bus] in try bus.prune(before: busCutoff, while: { !stopping.isSet }) }
            if pruned.deliveries + pruned.messages > 0 {
                logger.info("pruned \(pruned.deliveries) done deliveries and \(pruned.messages) messages older than bus.retention (\(DurationText.format(busRetention)))")
            }
        } catch {
            logger.error("could not prune the bus: \(error)")
        }
        let ledgerCutoff = now.addingTimeInterval(-ledgerRetention.timeInterval)
        do {
            let pruned = try await Offload.run { [ledger] in try ledger.prune(before: ledgerCutoff, while: { !stopping.isSet }) }
            if pruned > 0 {
                logger.info("pruned \(pruned) invocation record(s) and their logs older than ledger.retention (\(DurationText.format(ledgerRetention)))")
            }
        } catch {
            logger.error("could not prune the invocation ledger: \(error)")
        }
    }
}
