internal import ArgumentParser
internal import FlintServer
internal import Foundation

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the logs (stderr) of a function's recent invocations, oldest first, each line prefixed with its invocation id.")

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The function's name.")
    var function: String

    @Option(help: "Only this invocation's log.")
    var invocation: String?

    @Option(help: "How many recent invocations (1-1000).")
    var limit: Int = 20

    func run() async throws {
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        let ids: [String]
        if let invocation {
            ids = [invocation]
        } else {
            ids = try await client.recentInvocations(function: function, limit: limit).reversed().map(\.id)
        }
        for id in ids {
            let reply = try await client.send("GET", "/v1/invocations/\(id)/logs")
            try DaemonClient.check(reply)
            for line in String(decoding: reply.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast(reply.body.last == UInt8(ascii: "\n") ? 1 : 0) {
                print("\(id)  \(line)")
            }
        }
    }
}
