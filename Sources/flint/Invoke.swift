internal import ArgumentParser
internal import FlintCore
internal import Foundation

struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invoke a function and print its output (or, with --async, queue the event and print the invocation id).",
        discussion: """
            Exits 1 when the function fails; its error document is printed all the same. With --async the \
            event is queued on the bus (retried on failure, a dead letter after the function's last retry) \
            and the command exits 0 once it is stored.
            """)

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The function's name.")
    var function: String

    // Unconditional: an event may start with a dash (`--data -5`).
    @Option(parsing: .unconditional, help: ArgumentHelp("The event: JSON text, @FILE to read a file, or - for stdin.", valueName: "json"))
    var data: String = "{}"

    @Flag(help: "Print the tail of the invocation's log on stderr.")
    var log = false

    @Flag(name: .customLong("async"), help: "Queue the event (Lambda's Event invocation type) and print the invocation id.")
    var asynchronous = false

    func validate() throws {
        if asynchronous, log {
            throw ValidationError("--log needs a synchronous invocation; with --async, flint logs FUNCTION --invocation ID shows the log once it ran")
        }
    }

    /// What to do about a function the daemon does not have: one the project's files have, which
    /// it has not loaded yet (made since it started), wants a reload; a typo, its nearest name.
    static func unknownFunctionHint(_ function: String, client: DaemonClient, root: String) async -> String {
        if let config = try? ProjectLocator.config(root: root),
           let directory = config.functions.map({ Project.resolve($0, against: root) + "/" + function }).first(where: {
               FileManager.default.fileExists(atPath: $0 + "/function.yaml")
           }) {
            return " (\(directory) has it, but the running Flint has not loaded it: run flint reload)"
        }
        let names = (try? await client.functions().map(\.name)) ?? []
        let suggestion = KeySuggestion.closest(to: function, among: names).map { "did you mean \($0)? " } ?? ""
        return " (\(suggestion)flint ls lists the functions)"
    }

    func run() async throws {
        let payload = try PayloadSource.read(data)
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        let path = "/2015-03-31/functions/\(function)/invocations"
        var headers: [String: String] = [:]
        if log { headers["X-Amz-Log-Type"] = "Tail" }
        if asynchronous { headers["X-Amz-Invocation-Type"] = "Event" }
        let reply = try await client.send("POST", path, body: payload, headers: headers, timeout: DaemonClient.invocationTimeout)
        if asynchronous, reply.status == 202 {
            let id = reply.headers["x-flint-invocation-id"] ?? reply.headers["x-amzn-requestid"] ?? "?"
            print(id)
            FileHandle.standardError.write(Data("queued; flint invocations / GET /v1/invocations/\(id) shows its progress\n".utf8))
            return
        }
        if reply.status != 200 {
            let message = (try? JSONDecoder().decode([String: String].self, from: reply.body))?["Message"] ?? String(decoding: reply.body, as: UTF8.self)
            let hint = reply.status == 404 ? await Self.unknownFunctionHint(function, client: client, root: ProjectLocator.root(projectOptions.project)) : ""
            throw CLIError("flint invoke \(function): \(message)\(hint)")
        }
        if log, let tail = reply.headers["x-amz-log-result"].flatMap({ Data(base64Encoded: $0) }), !tail.isEmpty {
            let lines = TerminalText.logLines(String(decoding: tail, as: UTF8.self))
            FileHandle.standardError.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        }
        StandardOutput.write(reply.body)
        if reply.body.last != UInt8(ascii: "\n") { print() }
        if reply.headers["x-amz-function-error"] != nil {
            let id = reply.headers["x-flint-invocation-id"] ?? "?"
            throw CLIError("flint invoke \(function): the function failed (invocation \(id); flint logs \(function) --invocation \(id) shows its log)")
        }
    }
}
