internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import FlintStore
internal import Foundation

struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What the functions used and cost over a period; idle time costs nothing.",
        discussion: """
            Per function, for the invocations that started in the period: invocations, errors, cold starts, \
            total and billed duration (each rounded up to the millisecond, as Lambda bills), GB-seconds \
            (memory limit in GB x billed seconds), CPU time, the largest peak memory, and the cost under \
            flint.yaml's pricing (AWS Lambda's x86 list prices unless set). The period splits into busy time \
            (at least one handler running) and idle time, which is never billed. Asks the running daemon; \
            when Flint is not running, reads the project's database directly, read-only.
            """)

    @OptionGroup var projectOptions: ProjectOptions
    @OptionGroup var output: OutputOptions

    // Unconditional: `--since -1h` is a mistake to explain, not a missing value.
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Start of the period, which ends now: a duration back from now (24h, 7d, 90m) or an ISO 8601 time (2026-05-01, 2026-05-01T12:00:00Z).",
        valueName: "when"))
    var since = UsageSince.defaultText

    @Option(help: "Only this function's usage.")
    var function: String?

    func validate() throws {
        do {
            _ = try UsageSince.parse(since).start(now: Date())
        } catch {
            throw ValidationError("--since \(error)")
        }
        if function?.isEmpty == true { throw ValidationError("--function must name a function (flint ls lists them)") }
    }

    func run() async throws {
        // A mistyped --project is said as such, not as a project where Flint never ran.
        let root = ProcessInfo.processInfo.environment["FLINT_URL"] == nil
            ? try ProjectLocator.existingRoot(projectOptions.project) : ProjectLocator.root(projectOptions.project)
        let view: UsageView
        if Self.daemonIsRunning(root: root) {
            let client = try DaemonClient.forProject(root: root)
            var query = [URLQueryItem(name: "since", value: since)]
            if let function { query.append(URLQueryItem(name: "function", value: function)) }
            if output.json {
                try await client.printJSON("/v1/usage", query: query)
                return
            }
            view = try await client.get("/v1/usage", query: query, as: UsageView.self)
            if view.functions.isEmpty { try await client.refuseUnknown(function: function) }
        } else {
            view = try await readLedger(root: root)
            if output.json {
                StandardOutput.write(FlintJSON.encode(view))
                print()
                return
            }
            try Self.refuseUnknown(function: function, in: view, root: root)
        }
        print(UsageTable(view: view, function: function))
    }

    /// Without a daemon to ask: nothing found for `function`, and the project has no function of
    /// that name (a typo would otherwise look like an idle function).
    private static func refuseUnknown(function: String?, in view: UsageView, root: String) throws {
        guard let function, view.functions.isEmpty, let project = try? ProjectLoader.load(root: root) else { return }
        try CLIError.refuseUnknown(function, among: Array(project.functions.keys))
    }

    /// Whether to ask a daemon: `FLINT_URL` names one, or `daemon.json` names a live one.
    private static func daemonIsRunning(root: String) -> Bool {
        if ProcessInfo.processInfo.environment["FLINT_URL"] != nil { return true }
        guard let directory = try? ProjectLocator.dataDirectory(root: root) else { return true }  // let the client report it
        return DaemonFiles(directory: directory).liveDaemon != nil
    }

    /// The report made here from the project's database, opened read-only: the daemon is not
    /// running, so the ledger holds every invocation there is and nothing is waiting to be committed.
    private func readLedger(root: String) async throws -> UsageView {
        let config = try ProjectLocator.config(root: root)
        let path = DaemonFiles(directory: Project.resolve(config.data, against: root)).database
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("flint usage: Flint is not running and has not run in \(root) yet (no \(path)); start it with `flint up`")
        }
        FileHandle.standardError.write(Data("flint usage: Flint is not running; reading \(path) directly\n".utf8))
        let now = Date()
        let start: Date
        do {
            start = try UsageSince.parse(since).start(now: now)
        } catch {
            throw CLIError("flint usage: --since \(error)")
        }
        do {
            let ledger = InvocationLedger(database: try FlintDatabase(readingOnly: path))
            let measurement = try await ledger.usage(since: start, until: now, function: function)
            return UsageView(UsageReport(
                since: start, until: now, prices: config.pricing, retention: config.ledger.retention, measurement: measurement
            ))
        } catch {
            throw CLIError("flint usage: cannot read the ledger: \(BusError.from(error, path: path))")
        }
    }
}
