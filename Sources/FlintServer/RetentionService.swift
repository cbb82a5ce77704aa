internal import FlintCore
internal import FlintStore
internal import Foundation
internal import Logging
internal import ServiceLifecycle

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

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pruneOnce(now: Date())
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
        try? await gracefulShutdown()
    }

    private func pruneOnce(now: Date) async {
        let busCutoff = now.addingTimeInterval(-busRetention.timeInterval)
        do {
            let pruned = try await Offload.run { [bus] in try bus.prune(before: busCutoff) }
            if pruned.deliveries + pruned.messages > 0 {
                logger.info("pruned \(pruned.deliveries) done deliveries and \(pruned.messages) messages older than bus.retention (\(DurationText.format(busRetention)))")
            }
        } catch {
            logger.error("could not prune the bus: \(error)")
        }
        let ledgerCutoff = now.addingTimeInterval(-ledgerRetention.timeInterval)
        do {
            let pruned = try await Offload.run { [ledger] in try ledger.prune(before: ledgerCutoff) }
            if pruned > 0 {
                logger.info("pruned \(pruned) invocation record(s) and their logs older than ledger.retention (\(DurationText.format(ledgerRetention)))")
            }
        } catch {
            logger.error("could not prune the invocation ledger: \(error)")
        }
    }
}
