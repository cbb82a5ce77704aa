internal import ArgumentParser
internal import Foundation

struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invoke a function synchronously and print its output.",
        discussion: "Exits 1 when the function fails; its error document is printed all the same.")

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The function's name.")
    var function: String

    @Option(help: ArgumentHelp("The event: JSON text, @FILE to read a file, or - for stdin.", valueName: "json"))
    var data: String = "{}"

    @Flag(help: "Print the tail of the invocation's log on stderr.")
    var log = false

    func run() async throws {
        let payload = try readPayload()
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        let path = "/2015-03-31/functions/\(function)/invocations"
        let reply = try await client.send("POST", path, body: payload, headers: log ? ["X-Amz-Log-Type": "Tail"] : [:])
        if reply.status != 200 {
            let message = (try? JSONDecoder().decode([String: String].self, from: reply.body))?["Message"] ?? String(decoding: reply.body, as: UTF8.self)
            throw CLIError("flint invoke \(function): \(message)")
        }
        if log, let tail = reply.headers["x-amz-log-result"].flatMap({ Data(base64Encoded: $0) }) {
            FileHandle.standardError.write(tail)
        }
        StandardOutput.write(reply.body)
        if reply.body.last != UInt8(ascii: "\n") { print() }
        if reply.headers["x-amz-function-error"] != nil {
            let id = reply.headers["x-flint-invocation-id"] ?? "?"
            throw CLIError("flint invoke \(function): the function failed (invocation \(id); flint logs \(function) --invocation \(id) shows its log)")
        }
    }

    private func readPayload() throws -> Data {
        if data == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        if data.hasPrefix("@") {
            let path = String(data.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CLIError("--data @\(path): cannot read \(path)")
            }
            return contents
        }
        return Data(data.utf8)
    }
}
