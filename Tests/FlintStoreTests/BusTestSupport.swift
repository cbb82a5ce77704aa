import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

/// A real bus on a fresh SQLite file in a temporary directory, removed with the fixture.
final class BusFixture {
    let directory: TemporaryDirectory
    let path: String
    let database: FlintDatabase
    let bus: Bus

    /// A fixed "now" far from the wall clock, so tests never depend on when they run.
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    init(_ topology: BusTopology = BusFixture.orders) throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/flint.sqlite"
        database = try FlintDatabase(path: path)
        bus = Bus(database: database)
        try bus.register(topology, retireOthers: true)
    }

    /// Topic `orders` (text) with subscriptions `billing` and `shipping`; topic `events` (json)
    /// with `audit`; topic `silent` without subscribers; and Flint's own `flint.invoke.echo`.
    static let orders = BusTopology(
        topics: ["orders": .text, "events": .json, "silent": .text, "flint.invoke.echo": .text],
        subscriptions: [
            .init(name: "billing", topic: "orders", function: "bill"),
            .init(name: "shipping", topic: "orders", function: "ship"),
            .init(name: "audit", topic: "events", function: "audit"),
            .init(name: "flint.invoke.echo", topic: "flint.invoke.echo", function: "echo"),
        ]
    )

    /// One value from SQL run on the bus's own pool (a reader: it sees what is committed).
    func scalar(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try bus.database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    /// Rows of strings, for comparing states.
    func strings(_ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        try bus.database.read { db in try String.fetchAll(db, sql: sql, arguments: arguments) }
    }

    /// One delivery's state, read from its row (`Bus.status` answers only for asynchronous invocations).
    func delivery(_ id: Int64) throws -> DeliveryStatus? {
        try bus.database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT state, function, attempt, last_invocation_id, last_error, visible_at_us FROM deliveries WHERE id = ?",
                arguments: [id]
            ).map { row in
                DeliveryStatus(
                    state: DeliveryState(rawValue: row["state"])!, function: row["function"], attempt: row["attempt"],
                    lastInvocationID: row["last_invocation_id"], lastError: row["last_error"],
                    visibleAt: Date(timeIntervalSince1970: Double(row["visible_at_us"] as Int64) / 1_000_000)
                )
            }
        }
    }

    /// `state` of every delivery of `subscription`, by delivery id.
    func states(_ subscription: String) throws -> [String] {
        try strings("SELECT state FROM deliveries WHERE subscription = ? ORDER BY id", [subscription])
    }

    /// Publishes one message, then fans it out as the daemon's consumer would next.
    @discardableResult
    func publish(_ topic: String, _ body: String, group: String? = nil, dedup: String? = nil, at now: Date = BusFixture.t0) throws -> PublishReceipt {
        let receipt = try #require(try bus.publish([OutgoingMessage(topic: topic, body: body, dedupKey: dedup, groupKey: group)], now: now).first)
        try bus.fanOut()
        return receipt
    }
}

/// The `sqlite3` command-line shell: another program writing to the same file.
enum SQLiteShell {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static let executable = "/usr/bin/sqlite3"

    /// Runs `sql` against `database` and returns once the shell has exited.
    static func run(_ database: String, _ sql: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-bail", database, sql]
        process.environment = [:]
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The outputs are small; read them to the end before waiting, so the shell never blocks on a full pipe.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            error: String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}

extension Settlement {
    static func done(_ lease: Lease, by invocation: String = "inv-done") -> Settlement {
        Settlement(lease: lease.token, verdict: .done, invocationID: invocation)
    }

    static func retry(_ lease: Lease, after delay: Duration, error: String = "boom", by invocation: String = "inv-retry") -> Settlement {
        Settlement(lease: lease.token, verdict: .retry(after: delay, error: error), invocationID: invocation)
    }

    static func interrupted(_ lease: Lease, error: String = "killed", by invocation: String = "inv-killed") -> Settlement {
        Settlement(lease: lease.token, verdict: .interrupted(error: error), invocationID: invocation)
    }

    static func dead(_ lease: Lease, error: String = "gave up", by invocation: String = "inv-dead") -> Settlement {
        Settlement(lease: lease.token, verdict: .dead(error: error), invocationID: invocation)
    }
}
