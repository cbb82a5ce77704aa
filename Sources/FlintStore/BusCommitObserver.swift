internal import GRDB
internal import Synchronization

/// Calls `onCommit` after each commit of the writer connection that changed the bus — a message
/// or a delivery inserted, updated or deleted — unless the transaction was marked quiet.
///
/// Runs on the writer connection's queue: `onCommit` must return quickly and must not use the
/// database.
final class BusCommitObserver: TransactionObserver, Sendable {
    private struct Transaction {
        var changedTheBus = false
        var quiet = false
    }

    private static let busTables: Set<String> = ["messages", "deliveries"]

    private let transaction = Mutex(Transaction())
    private let onCommit: @Sendable () -> Void

    init(onCommit: @escaping @Sendable () -> Void) {
        self.onCommit = onCommit
    }

    /// The transaction in progress wakes no one when it commits: the bus consumer's own claims,
    /// after which it looks again anyway. Call from inside the transaction.
    func markQuiet() {
        transaction.withLock { $0.quiet = true }
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        Self.busTables.contains(eventKind.tableName)
    }

    func databaseDidChange(with event: DatabaseEvent) {
        transaction.withLock { $0.changedTheBus = true }
        // One change is enough to know; the rest of the transaction's rows need no callback.
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidChange() {
        transaction.withLock { $0.changedTheBus = true }
    }

    func databaseDidCommit(_ db: Database) {
        let wake = transaction.withLock { transaction -> Bool in
            defer { transaction = Transaction() }
            return transaction.changedTheBus && !transaction.quiet
        }
        if wake { onCommit() }
    }

    func databaseDidRollback(_ db: Database) {
        transaction.withLock { $0 = Transaction() }
    }
}
