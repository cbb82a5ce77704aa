internal import ArgumentParser
internal import FlintServer
internal import Foundation

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the running daemon load function.yaml files and triggers/ again, as SIGHUP does.",
        discussion: """
            Prints what changed. A project with problems is refused with the errors flint validate \
            prints, exit status 1, and the daemon goes on with the configuration it had. Invocations \
            already running finish under the old configuration; new ones take the new one. flint.yaml \
            settings other than functions, triggers and topics apply when Flint starts next.
            """)

    @OptionGroup var projectOptions: ProjectOptions

    private struct Reply: Decodable {
        var reloaded: Bool
        var changes: [String]
        var deferredSettings: [String]
        /// Absent from daemons older than the field.
        var warnings: [String]?
        var problems: [String]

        enum CodingKeys: String, CodingKey {
            case reloaded, changes, problems, warnings
            case deferredSettings = "deferred_settings"
        }
    }

    func run() async throws {
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        let response = try await client.send("POST", "/v1/reload")
        guard response.status == 200 || response.status == 422, let reply = try? JSONDecoder().decode(Reply.self, from: response.body) else {
            try DaemonClient.check(response)
            throw CLIError("the daemon answered the reload with something other than its outcome; see its log")
        }
        guard reply.reloaded else {
            var lines = ["reload refused; Flint goes on with the configuration it had. \(reply.problems.count) problem(s):"]
            lines += reply.problems.map { "  \($0)" }
            throw CLIError(lines.joined(separator: "\n"))
        }
        print("reloaded: " + ReloadPlan.summary(of: reply.changes))
        if !reply.deferredSettings.isEmpty {
            print("flint.yaml: \(reply.deferredSettings.joined(separator: ", ")) changed; that applies when Flint starts next")
        }
        for warning in reply.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
    }
}
