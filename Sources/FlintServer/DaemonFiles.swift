public import FlintCore

/// Where a project's daemon keeps its state, under the `data` directory of `flint.yaml`.
public struct DaemonFiles: Sendable {
    /// Absolute path of the data directory (`.flint` by default).
    public let directory: String

    public init(project: Project) {
        self.directory = project.dataDirectory
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// The SQLite file: ledger, and from later versions the bus.
    public var database: String { directory + "/flint.sqlite" }
    /// The admin API's bearer token, mode 0600.
    public var adminToken: String { directory + "/admin-token" }
    /// The running daemon's pid and address; present only while it runs.
    public var daemonInfo: String { directory + "/daemon.json" }
    /// Per-invocation working directories.
    public var workRoot: String { directory + "/work" }
}
