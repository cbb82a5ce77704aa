internal import FlintCore
internal import GRDB
internal import Foundation
internal import Synchronization

/// Owns the project's SQLite file: one `DatabasePool` (WAL), migrated when opened.
///
/// Every method is transaction-sized; callers never see GRDB's `Database`.
public final class FlintDatabase: Sendable {
    /// The pool, for the store's own types.
    let pool: DatabasePool
    public let path: String
    /// How its commits are synced; nil when opened for reading only.
    let durability: Durability?
    /// Seconds a write transaction may wait for another program's lock, counted from when it was
    /// asked for (`writeTransaction`), its wait for this process's own writer included.
    let busyTimeout: Double
    /// Installed by `onBusCommit`.
    let busCommits = Mutex<BusCommitObserver?>(nil)
    /// The bus leases this process holds, which lease expiry leaves alone.
    public let heldLeases = HeldLeases()
    /// `PRAGMA data_version` of the writer connection when `hasCommitsFromOtherConnections`
    /// last read it.
    let writerDataVersion = Mutex<Int?>(nil)
    /// Its write transactions waiting for the writer or under way (`isWriting`).
    let ownWriteTransactions = Atomic<Int>(0)

    /// How durable a commit is. `normal` survives a crash of Flint but may lose the last
    /// transactions on power loss (WAL + `synchronous=NORMAL`); `full` fsyncs every commit.
    public enum Durability: String, Sendable, CaseIterable {
        case normal, full
    }

    /// Seconds a statement waits for another connection's lock before failing `SQLITE_BUSY`.
    public static let defaultBusyTimeout: Double = 10

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    ///
    /// A database it creates is private from the start (mode 0600, which SQLite gives its WAL
    /// too), in a directory others may pass through but not list (0711): other users, handlers
    /// among them, must not read the messages, whoever creates it first (`flint publish` before
    /// any `flint up`).
    public init(path: String, durability: Durability = .normal, busyTimeout: Double = defaultBusyTimeout) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do throws(DirectoryMaker.Failure) {
                try DirectoryMaker.make(directory, mode: 0o711)
            } catch {
                throw BusError.database(path: path, message: "\(error); check data: in flint.yaml and this user's rights there")
            }
        }
        try Self.createPrivately(path)
        // What SQLite says of a file it cannot write (read-only, immutable, locked) is said in
        // words that name the file and the fix, as for every later write.
        do {
            self.pool = try DatabasePool(path: path, configuration: Self.configuration(durability: durability, busyTimeout: busyTimeout))
            try Self.migrator.migrate(pool)
        } catch {
            throw BusError.from(error, path: path)
        }
        self.path = path
        self.durability = durability
        self.busyTimeout = busyTimeout
    }

    /// Creates `path` empty (an empty file is an empty database to SQLite) with mode 0600, unless
    /// it exists.
    private static func createPrivately(_ path: String) throws(BusError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor < 0 else {
            close(descriptor)
            return
        }
        switch errno {
        case EEXIST: return
        case EACCES, EPERM, EROFS: throw BusError.databaseReadOnly(path: path)
        case let code: throw BusError.database(path: path, message: "cannot create it: \(String(cString: strerror(code)))")
        }
    }

    /// Largest the WAL file is left after SQLite restarts it from its beginning. One large
    /// transaction (a batch of thousands of messages) or a checkpoint held back by a long read
    /// grows the file; without a limit it keeps that size, unused, until the last connection closes.
    static let walSizeLimitBytes = 64 * 1024 * 1024

    /// Every read-write connection's settings (the pool's, and `WALCheckpointer`'s, whose
    /// checkpoints must sync as the commits do).
    static func configuration(durability: Durability, busyTimeout: Double = defaultBusyTimeout) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimitBytes)")
        }
        return configuration
    }

    /// Opens the existing database at `path` for reading only, neither creating nor migrating it:
    /// for looking at a project's records while its daemon is not running (`flint usage`).
    public init(readingOnly path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        self.pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        self.durability = nil
        self.busyTimeout = 10
        // Reading cannot migrate: a file an older Flint left behind may lack columns the queries
        // use. Only the ledger's migrations matter here; later ones of other tables do not.
        guard try pool.read({ db in Set(try Self.migrator.appliedIdentifiers(db)).isSuperset(of: Self.ledgerMigrations) }) else {
            throw BusError.database(
                path: path, message: "was written by an older Flint and is not upgraded yet; run `flint up` once to upgrade it")
        }
    }

    /// The migrations that made the ledger's tables what its readers (`flint usage` on a stopped
    /// daemon's file) query.
    static let ledgerMigrations: Set<String> = ["v1-invocations", "v4-invocation-init"]

    /// Append-only: a shipped migration is never edited, only followed by a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-invocations") { db in
            try db.create(table: "invocations") { t in
                t.primaryKey("id", .text)
                t.column("function", .text).notNull()
                t.column("trigger", .text)
                t.column("source", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("started_at_us", .integer).notNull()
                t.column("ended_at_us", .integer).notNull()
                t.column("duration_us", .integer).notNull()
                t.column("billed_ms", .integer).notNull()
                t.column("memory_limit_mb", .integer).notNull()
                t.column("peak_rss_bytes", .integer).notNull()
                t.column("user_cpu_us", .integer).notNull()
                t.column("system_cpu_us", .integer).notNull()
                t.column("exit_code", .integer)
                t.column("signal", .integer)
                t.column("cold_start", .boolean).notNull()
                t.column("outcome", .text).notNull()
                t.column("error_message", .text)
            }
            try db.create(index: "invocations_by_start", on: "invocations", columns: ["started_at_us"])
            try db.create(index: "invocations_by_function", on: "invocations", columns: ["function", "started_at_us"])
            try db.create(table: "invocation_logs") { t in
                t.primaryKey("invocation_id", .text).references("invocations", onDelete: .cascade)
                t.column("tail", .blob).notNull()
            }
        }
        migrator.registerMigration("v2-bus", migrate: BusSchema.create)
        migrator.registerMigration("v3-objects", migrate: ObjectsSchema.create)
        // Warm instances (`runtime: lambda`): how long a cold start's init took; NULL when warm.
        migrator.registerMigration("v4-invocation-init") { db in
            try db.alter(table: "invocations") { t in t.add(column: "init_duration_us", .integer) }
        }
        migrator.registerMigration("v5-deferred-fan-out", migrate: BusSchema.deferFanOut)
        migrator.registerMigration("v6-lean-messages", migrate: BusSchema.leanMessages)
        // The rule a schedule's ticks were recorded under: a changed rule starts from now.
        migrator.registerMigration("v7-schedule-rules") { db in
            try db.alter(table: "schedule_ticks") { t in t.add(column: "rule", .text) }
        }
        migrator.registerMigration("v8-message-insert-guards", migrate: BusSchema.guardInserts)
        migrator.registerMigration("v9-message-attribute-guards", migrate: BusSchema.guardAttributes)
        migrator.registerMigration("v10-retired-topics", migrate: BusSchema.retireTopics)
        migrator.registerMigration("v11-conflict-clause-guards", migrate: BusSchema.guardConflictClauses)
        return migrator
    }
}
