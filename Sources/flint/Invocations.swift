internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import Foundation

struct Invocations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recent invocations, newest first, with what each cost.")

    @OptionGroup var projectOptions: ProjectOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only this function's invocations.")
    var function: String?

    @Option(parsing: .unconditional, help: "At most this many (1-1000).")
    var limit: Int = 50

    func validate() throws {
        if !(1 ... 1000).contains(limit) { throw ValidationError("--limit must be from 1 to 1000, not \(limit)") }
    }

    func run() async throws {
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        if output.json {
            try await client.printJSON("/v1/invocations", query: DaemonClient.listingQuery(function: function, limit: limit))
            return
        }
        let views = try await client.recentInvocations(function: function, limit: limit)
        if views.isEmpty { try await client.refuseUnknown(function: function) }
        let rows = views.map { view in
            [
                view.id, view.function, view.trigger ?? "-", view.outcome,
                String(format: "%.2fms", Double(view.durationMicros) / 1000), "\(view.billedMillis)ms",
                "\(view.peakRSSBytes / 1024)KiB", String(format: "%.1fms", Double(view.userCPUMicros + view.systemCPUMicros) / 1000),
                UTCTimestamp(view.startedAt).iso8601,
                // Why it failed, at a glance (a loop stop's reason, a handler's error); --json has all of it.
                view.errorMessage.map(DeadLetters.List.truncated) ?? "-",
            ]
        }
        print(Table(headers: ["ID", "FUNCTION", "TRIGGER", "OUTCOME", "DURATION", "BILLED", "PEAK RSS", "CPU", "STARTED", "ERROR"], rows: rows))
    }
}
