internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import Foundation

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the running daemon's functions.")

    @OptionGroup var projectOptions: ProjectOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        if output.json {
            try await client.printJSON("/v1/functions")
            return
        }
        let rows = try await client.functions().map { function in
            [
                function.name, function.runtime, DurationText.format(.milliseconds(function.timeoutMillis)), "\(function.memoryMB)Mi",
                "\(function.running)/\(function.concurrency)", function.triggers.joined(separator: ","),
            ]
        }
        print(Table(headers: ["NAME", "RUNTIME", "TIMEOUT", "MEMORY", "RUNNING", "TRIGGERS"], rows: rows))
    }
}
