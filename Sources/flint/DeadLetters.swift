internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import FlintStore
internal import Foundation

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadletters",
        abstract: "List the deliveries that failed after their function's last retry, and queue them again or discard them.",
        subcommands: [List.self, Show.self, Replay.self, Discard.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, the most recently dead first.")

        @OptionGroup var projectOptions: ProjectOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only this function's dead letters.")
        var function: String?

        @Option(parsing: .unconditional, help: "At most this many (1-10000).")
        var limit: Int = 100

        /// The longest LAST ERROR cell; `--json` has the whole text.
        static let errorWidth = 60

        func validate() throws {
            guard (1 ... 10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
        }

        func run() async throws {
            let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
            let query = DaemonClient.listingQuery(function: function, limit: limit)
            if output.json {
                try await client.printJSON("/v1/deadletters", query: query)
                return
            }
            struct Listing: Decodable { var deadletters: [DeadLetter] }
            let letters = try await client.get("/v1/deadletters", query: query, as: Listing.self).deadletters
            guard !letters.isEmpty else {
                try await client.refuseUnknown(function: function)
                print("no dead letters")
                return
            }
            let rows = letters.map { letter in
                [
                    "\(letter.id)", letter.replayable ? letter.function : "\(letter.function) (not replayable)", letter.topic, "\(letter.attempts)",
                    UTCTimestamp(letter.diedAt).iso8601,
                    Self.truncated(letter.lastError ?? "-"),
                ]
            }
            print(Table(headers: ["ID", "FUNCTION", "TOPIC", "ATTEMPTS", "DIED", "LAST ERROR"], rows: rows))
        }

        /// The error on one line, cut to `errorWidth` characters.
        static func truncated(_ error: String) -> String {
            let line = error.split(whereSeparator: \.isNewline).joined(separator: " ")
            return line.count <= errorWidth ? line : line.prefix(errorWidth - 1) + "…"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one dead letter as JSON, with its whole body (a listing carries only the first 1024 bytes of each).")

        @OptionGroup var projectOptions: ProjectOptions

        @Argument(help: ArgumentHelp("A dead letter id, as flint deadletters lists them.", valueName: "id"))
        var id: Int64

        @Flag(help: "Print only the message's body, as it was published.")
        var body = false

        func run() async throws {
            let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
            guard body else {
                try await client.printJSON("/v1/deadletters/\(id)")
                return
            }
            let letter = try await client.get("/v1/deadletters/\(id)", as: DeadLetter.self)
            StandardOutput.write(Data(letter.body.utf8))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again, with their attempts counted from zero.",
            discussion: "Exits 1 when an id given is not a dead letter, or is one whose trigger or function was removed since (the others are replayed all the same). With --all, those are named on stderr.")

        @OptionGroup var projectOptions: ProjectOptions
        @OptionGroup var selection: DeadLetterSelection

        func validate() throws { try selection.check(action: "replay") }

        func run() async throws {
            let client = try DaemonClient.forProject(root: ProjectLocator.root(projectOptions.project))
            let result = try await selection.post("replay", to: client, as: ReplayView.self)
            // Nothing found for a name no function has is a typo, as for the listing.
            if result.replayed.isEmpty, result.retired.isEmpty { try await client.refuseUnknown(function: selection.function) }
            let count = result.replayed.count
            // One of a FIFO group is queued at its group's end, under a new id: said, since a
            // second death lists it by that id.
            let shown = result.replayed.map { id in result.renumbered["\(id)"].map { "\(id) (now \($0), at the end of its group)" } ?? "\(id)" }
            print("replayed \(count) dead letter\(count == 1 ? "" : "s")" + (count == 0 ? "" : ": " + shown.joined(separator: ", ")))
            var problems = DeadLetterSelection.notDeadLetters(result.missing, action: "replay").map { [$0] } ?? []
            if !result.retired.isEmpty {
                let list = result.retired.map(String.init).joined(separator: ", ")
                let message =
                    "flint deadletters replay: \(list) \(result.retired.count == 1 ? "stays" : "stay") dead: \(result.retired.count == 1 ? "its" : "their") "
                        + "trigger or function is no longer in the project, so nothing would take \(result.retired.count == 1 ? "it" : "them"); "
                        + "bring it back and run flint reload, or flint deadletters discard \(list.replacingOccurrences(of: ",", with: ""))"
                // Asked by id, the ids not replayed fail the command; --all replays what can be.
                if selection.all { FileHandle.standardError.write(Data((message + "\n").utf8)) } else { problems.append(message) }
            }
            if !problems.isEmpty { throw CLIError(problems.joined(separator: "\n")) }
        }
    }
}
