internal import FlintCore
internal import Foundation
internal import GRDB
internal import GRDBSQLite
internal import Synchronization

/// Copies the WAL back into the database file on a thread of its own, so that the daemon's
/// commits do not wait for the syncs of a checkpoint.
///
/// By default SQLite checkpoints inside each commit that leaves the WAL at 1,000 pages or more
/// (`wal_autocheckpoint`): that commit syncs the WAL and the database file (~10 ms on this kind of
/// disk), and every other write of the daemon (a claim, a batch of ledger rows, an HTTP publish)
/// queues behind it. Started, this replaces the writer connection's automatic checkpoint with a
/// WAL hook: after each commit the hook sees how many pages the WAL holds, and from 1,000 on it
/// wakes this thread, which runs `PASSIVE` checkpoints (ones that wait for no reader or writer) on
/// a connection of its own, synced as the commits are, and a last short one between two of the
/// writer's transactions (see `checkpoint()`).
///
/// Other processes' connections (`flint publish`, a plain sqlite3 INSERT) keep SQLite's automatic
/// checkpoint. Only one checkpoint runs at a time: when another connection's is running, this
/// thread skips its turn, and the other copies what it would have.
public final class WALCheckpointer: Sendable {
    /// Pages in the WAL from which a checkpoint is due: SQLite's own `wal_autocheckpoint` default.
    static let pagesBetweenCheckpoints: Int32 = 1000
    /// A pass beside the writer that copied fewer pages than this was short, and so will be the
    /// next: the last pass, the one that holds up the writer.
    static let shortPassPages = 128
    /// Passes beside the writer before the last one, at most (under a heavy load each copies
    /// about what the writer appended during the one before).
    static let passesBesideTheWriter = 4

    private let signal = WALCommitSignal()
    /// What `stop()` gives back to the writer; nil once it has (or before `takeOverFromTheWriter()`).
    private let writerAutocheckpoint = Mutex<Int32?>(nil)
    private let connection: DatabaseQueue
    private let database: FlintDatabase
    private let onError: @Sendable (String) -> Void

    /// Starts checkpointing `database` in the background (see the type's comment); `onError` hears
    /// of a checkpoint that failed (a later one tries again). Call `stop()` before releasing
    /// `database`: until then the thread keeps both.
    public static func start(
        for database: FlintDatabase, onError: @escaping @Sendable (String) -> Void
    ) throws(BusError) -> WALCheckpointer {
        let checkpointer = try WALCheckpointer(database: database, onError: onError)
        try checkpointer.takeOverFromTheWriter()
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

    /// What `/metrics` shows of the WAL.
    public struct Status: Sendable, Equatable {
        /// Checkpoints run so far (some may have found nothing to copy, or failed).
        public var checkpoints: Int
        /// Pages in the WAL after the daemon's last commit: it stays near 1,000 while checkpoints
        /// keep up and readers let the WAL start over.
        public var pages: Int

        public init(checkpoints: Int, pages: Int) {
            self.checkpoints = checkpoints
            self.pages = pages
        }
    }

    public var status: Status {
        signal.state.withLock { Status(checkpoints: $0.checkpointsDone, pages: Int($0.pagesSeen)) }
    }

    /// How many times the writer has found the WAL started over from its beginning.
    var walRestarts: Int {
        signal.state.withLock { $0.restarts }
    }

    /// Installs the WAL hook on `database`'s writer connection, which ends its automatic
    /// checkpoints. Once only.
    func takeOverFromTheWriter() throws(BusError) {
        // The hook holds a reference to the signal (not to this, nor to the database), released
        // by `stop()` once the hook is gone.
        let context = Unmanaged.passRetained(signal).toOpaque()
        do {
            let previous = try database.pool.writeWithoutTransaction { db -> Int32 in
                let previous = try Int32.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? Self.pagesBetweenCheckpoints
                _ = sqlite3_wal_hook(db.sqliteConnection, { context, _, _, pages in
                    if let context {
                        Unmanaged<WALCommitSignal>.fromOpaque(context).takeUnretainedValue().writerCommitted(pagesInWAL: pages)
                    }
                    return SQLITE_OK
                }, context)
                return previous
            }
            writerAutocheckpoint.withLock { $0 = previous }
        } catch {
            Unmanaged<WALCommitSignal>.fromOpaque(context).release()
            throw .database(path: database.path, message: "cannot take over its checkpoints: \(error)")
        }
    }

    func startThread() {
        DedicatedThread.start(named: "flint-checkpoint") { [self] in run() }
    }

    /// Gives the writer connection back its automatic checkpoints and ends the thread (after the
    /// checkpoint it may be running). Later calls do nothing.
    public func stop() {
        let restore = writerAutocheckpoint.withLock { value in
            defer { value = nil }
            return value
        }
        if let restore {
            database.pool.writeWithoutTransaction { db in
                // Installs SQLite's own hook in place of this one.
                _ = sqlite3_wal_autocheckpoint(db.sqliteConnection, restore)
            }
            Unmanaged.passUnretained(signal).release()
        }
        signal.state.withLock { $0.stopped = true }
        signal.wakeUp.signal()
    }

    private func run() {
        while true {
            signal.wakeUp.wait()
            if signal.state.withLock({ $0.stopped }) { return }
            checkpoint()
            signal.state.withLock { state in
                state.requested = false
                state.checkpointsDone += 1
            }
        }
    }

    /// Copies the WAL into the database file, as far as its readers let it.
    ///
    /// SQLite starts the WAL over from its beginning when the writer begins a transaction with
    /// every page of it copied and no reader still reading from it. A checkpoint beside a busy
    /// writer never leaves it so, since the writer appends while it runs: so the last pass runs
    /// between two of the writer's transactions, on its connection. The passes before it run
    /// beside the writer, each copying what was appended during the one before, until one copies
    /// little: the last then copies and syncs no more than that.
    private func checkpoint() {
        var copiedBefore: Int?
        for _ in 0 ..< Self.passesBesideTheWriter {
            guard let copied = passiveCheckpoint(on: connection) else { return }
            if let copiedBefore, copied - copiedBefore < Self.shortPassPages { break }
            copiedBefore = copied
        }
        _ = passiveCheckpoint(on: database.pool)
    }

    /// Runs one passive checkpoint pass on `connection` (between two of its transactions): how
    /// many pages of the WAL are copied now; nil if it failed.
    private func passiveCheckpoint(on connection: some DatabaseWriter) -> Int? {
        do {
            return try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }.checkpointedFrameCount
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil   // another connection's checkpoint was running: it copies what this would have
        } catch {
            onError("a checkpoint of \(database.path) failed (\(error)); the WAL grows until one succeeds")
            return nil
        }
    }
}
