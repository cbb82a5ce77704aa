internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import Foundation

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a function's handler logs (stderr): its recent invocations', oldest first, or with -f each line as it is written.",
        discussion: """
            Each line is printed as TIME  INVOCATION-ID  TEXT. TIME is when Flint read the line (-f), or, for \
            stored logs, which keep no time per line, when the invocation started.
            """)

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The function's name.")
    var function: String

    @Option(help: "Only this invocation's log.")
    var invocation: String?

    @Option(parsing: .unconditional, help: "How many recent invocations (1-1000, default 20); not with -f.")
    var limit: Int?
    static let defaultLimit = 20

    @Flag(name: [.short, .long], help: "Follow: print lines live as handlers write them, until Ctrl-C; with --invocation, until that invocation ends.")
    var follow = false

    func validate() throws {
        if let limit, !(1 ... 1000).contains(limit) { throw ValidationError("--limit must be from 1 to 1000, not \(limit)") }
        if follow, limit != nil {
            throw ValidationError("--limit counts past invocations, and -f follows from now on; use one or the other")
        }
    }

    func run() async throws {
        let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
        var query = [follow ? URLQueryItem(name: "follow", value: "true") : URLQueryItem(name: "limit", value: "\(limit ?? Self.defaultLimit)")]
        if let invocation { query.append(URLQueryItem(name: "invocation", value: invocation)) }
        let stream = try client.stream("/v1/functions/\(function)/logs", query: query)
        guard stream.status == 200 else {
            var body = Data()
            while let line = try? stream.nextLine() { body += line }
            try DaemonClient.check(.init(status: stream.status, headers: stream.headers, body: body))
            return
        }
        var dropped = DroppedLineNotices(function: function)
        defer { dropped.rest().map(note) }
        var printedLines = 0
        while true {
            // Lines left out are told when due even if no record comes then.
            if let dueAt = dropped.dueAt, try !waitForInput(stream, until: dueAt) {
                dropped.due().map(note)
                continue
            }
            guard let line = try nextLine(stream) else { break }
            dropped.due().map(note)
            guard !line.isEmpty else { continue }
            guard let record = try? JSONDecoder().decode(LogStreamRecord.self, from: line) else {
                throw CLIError("flint logs: Flint sent a line that is not a log record: \(String(decoding: line.prefix(200), as: UTF8.self))")
            }
            switch record.type {
            case "following":
                let what = invocation.map { "invocation \($0) of \(function)" } ?? function
                note("following \(what); Ctrl-C stops")
            case "line":
                for piece in TerminalText.logLines(record.text ?? "") {
                    StandardOutput.write("\(record.time ?? "-")  \(record.invocation ?? "-")  \(piece)\n")
                }
                printedLines += 1
                // The reader went away (`| head`): nothing more to do.
                if StandardOutput.isClosed { return }
            case "dropped":
                dropped.add(record.count ?? 0).map(note)
            case "end":
                dropped.rest().map(note)
                if record.reason == "stopping" { note("Flint is stopping; nothing more will come") }
                // Said, or no output would look the same as a function that never ran.
                if record.reason == "complete", printedLines == 0 { note(nothingLogged) }
                return
            default:
                // A record kind newer than this CLI: nothing to print for it.
                continue
            }
        }
        throw CLIError("flint logs: Flint closed the connection before the logs ended; is flint up still running?")
    }

    private var nothingLogged: String {
        if let invocation { return "invocation \(invocation) of \(function) logged no lines" }
        return "nothing logged: \(function)'s last \(limit ?? Self.defaultLimit) invocations logged no lines, if it ran at all "
            + "(flint invocations --function \(function) lists its invocations)"
    }

    private func nextLine(_ stream: HTTPLineStream) throws -> Data? {
        do {
            return try stream.nextLine()
        } catch {
            throw CLIError("flint logs: \(error); is flint up still running?")
        }
    }

    private func waitForInput(_ stream: HTTPLineStream, until deadline: ContinuousClock.Instant) throws -> Bool {
        do {
            return try stream.waitForInput(until: deadline)
        } catch {
            throw CLIError("flint logs: \(error); is flint up still running?")
        }
    }

    private func note(_ message: String) {
        FileHandle.standardError.write(Data("flint logs: \(message)\n".utf8))
    }
}
