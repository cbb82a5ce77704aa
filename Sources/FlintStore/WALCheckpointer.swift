internal import FlintCore
internal import Foundation
internal import GRDB
internal import GRDBSQLite
internal import Synchronization

/// Copies the WAL back into the database file on a thread of its own, so that no commit of the
/// daemon waits for it.
///
/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages
/// (`wal_autocheckpoint`): that commit syncs the WAL and the database file (~10 ms on this kind of
/// disk), and every other write of the daemon (a claim, a batch of ledger rows, an HTTP publish)
/// queues behind it. Started, this replaces the writer connection's automatic checkpoint with a
/// WAL hook: after each commit the hook sees how many pages the WAL holds, and once 1,000 more
/// than the last checkpoint copied, it wakes this thread, which runs a `PASSIVE` checkpoint (one
/// that waits for no reader or writer) on a connection of its own, synced as the commits are.
///
/// Other processes' connections (`flint publish`, a plain sqlite3 INSERT) keep SQLite's automatic
/// checkpoint; theirs and this thread's take turns on SQLite's checkpoint lock.
public final class WALCheckpointer: Sendable {
    /// Pages added to the WAL between checkpoints: SQLite's own `wal_autocheckpoint` default.
    static let pagesBetweenCheckpoints: Int32 = 1000

    private struct State {
        /// Pages of the WAL the last checkpoint had copied; 0 once the WAL restarts from its beginning.
        var pagesCopied: Int32 = 0
        /// Pages in the WAL when the hook last woke the thread.
        var pagesWhenRequested: Int32 = 0
        /// Woken and not done yet: the hook does not wake it again meanwhile.
        var requested = false
        var stopped = false
        /// The writer's WAL hook is this one's (and holds a reference to it).
        var hooked = false
        var checkpointsDone = 0
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let connection: DatabaseQueue
    private let database: FlintDatabase
    private let onError: @Sendable (String) -> Void

    /// Starts checkpointing `database` in the background (see the type's comment); `onError` hears
    /// of a checkpoint that failed (the next one tries again). Call `stop()` before closing it.
    public static func start(
        for database: FlintDatabase, onError: @escaping @Sendable (String) -> Void
    ) throws(BusError) -> WALCheckpointer {
        let checkpointer = try WALCheckpointer(database: database, onError: onError)
        checkpointer.takeOverFromTheWriter()
        checkpointer.startThread()
        return checkpointer
    }

    /// Opens the checkpoint connection; nothing changes for `database` until `takeOverFromTheWriter()`.
    init(database: FlintDatabase, onError: @escaping @Sendable (String) -> Void) throws(BusError) {
        guard let durability = database.durability else {
            throw .database(path: database.path, message: "is open for reading only, and a reader cannot checkpoint it")
        }
        do {
            connection = try DatabaseQueue(path: database.path, configuration: FlintDatabase.configuration(durability: durability))
        } catch {
            throw .database(path: database.path, message: "cannot be opened for checkpoints: \(error)")
        }
        self.database = database
        self.onError = onError
    }

    /// Checkpoints run so far (some may have found nothing to copy, or failed).
    var checkpointsDone: Int {
        state.withLock { $0.checkpointsDone }
    }

    /// Installs the WAL hook on `database`'s writer connection, which ends its automatic checkpoints.
    func takeOverFromTheWriter() {
        // The hook holds a reference of its own, released by `stop()` once the hook is gone.
        let context = Unmanaged.passRetained(self).toOpaque()
        database.pool.writeWithoutTransaction { db in
            _ = sqlite3_wal_hook(db.sqliteConnection, { context, _, _, pages in
                if let context {
                    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().writerCommitted(pagesInWAL: pages)
                }
                return SQLITE_OK
            }, context)
        }
        state.withLock { $0.hooked = true }
    }

    func startThread() {
        DedicatedThread.start(named: "flint-checkpoint") { [self] in run() }
    }

    /// Gives the writer connection back SQLite's automatic checkpoints and ends the thread (after
    /// the checkpoint it may be running). Call once.
    public func stop() {
        if state.withLock({ $0.hooked }) {
            database.pool.writeWithoutTransaction { db in
                // Installs SQLite's own hook in place of this one.
                _ = sqlite3_wal_autocheckpoint(db.sqliteConnection, Self.pagesBetweenCheckpoints)
            }
            state.withLock { $0.hooked = false }
            Unmanaged.passUnretained(self).release()
        }
        state.withLock { $0.stopped = true }
        wakeUp.signal()
    }

    /// On the writer's queue, after each of its commits: wakes the thread once the WAL has grown
    /// by `pagesBetweenCheckpoints` since the last checkpoint.
    private func writerCommitted(pagesInWAL pages: Int32) {
        let wake = state.withLock { state -> Bool in
            if pages < state.pagesCopied { state.pagesCopied = 0 }   // restarted from its beginning
            guard !state.requested, !state.stopped, pages - state.pagesCopied >= Self.pagesBetweenCheckpoints else { return false }
            state.requested = true
            state.pagesWhenRequested = pages
            return true
        }
        if wake { wakeUp.signal() }
    }

    private func run() {
        while true {
            wakeUp.wait()
            if state.withLock({ $0.stopped }) { return }
            let copied = checkpoint()
            state.withLock { state in
                // After a failure, wait for as many new pages as after a success before trying again.
                state.pagesCopied = copied ?? state.pagesWhenRequested
                state.requested = false
                state.checkpointsDone += 1
            }
        }
    }

    /// Copies the whole WAL into the database file; how many of its pages are copied now, or nil
    /// if a pass failed.
    ///
    /// SQLite starts the WAL over from its beginning only when the writer begins a transaction
    /// with every page of it copied, which a checkpoint beside a busy writer never leaves it: the
    /// writer appends while it runs. So the last, short pass runs between two of the writer's
    /// transactions, on its connection. The passes before it run beside the writer and shrink
    /// what the last one copies and syncs (what was appended during the one before) from ~10 ms
    /// of the writer's commits to ~1 ms.
    private func checkpoint() -> Int32? {
        for _ in 1...2 {
            guard passiveCheckpoint({ try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) } }) != nil else {
                return nil
            }
        }
        return passiveCheckpoint { try database.pool.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
    }

    /// Runs one passive checkpoint pass; how many pages of the WAL are copied now, or nil if it failed.
    private func passiveCheckpoint(_ pass: () throws -> (walFrameCount: Int, checkpointedFrameCount: Int)) -> Int32? {
        do {
            return Int32(clamping: try pass().checkpointedFrameCount)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil   // another connection's checkpoint was running: it copies what this would have
        } catch {
            onError("a checkpoint of \(database.path) failed (\(error)); the WAL grows until one succeeds")
            return nil
        }
    }
}
