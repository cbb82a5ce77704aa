internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import FlintStore
internal import Foundation

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish messages to a topic and print their ids, one per line.",
        discussion: """
            Writes straight into the project's database, so it works whether or not Flint is running: \
            a running daemon sees the commit at once, and one started later delivers what waits. The \
            body is sent byte for byte (a trailing newline included). Exits 1 when the topic is \
            unknown, a body is over 1 MiB or not JSON for a format: json topic, or the database \
            cannot be written; then nothing is published.
            """)

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The topic, as flint.yaml's topics or a queue trigger names it.")
    var topic: String

    // Unconditional: a body may start with a dash (`--data -5`), as any value given here may.
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "The body: the text itself, @FILE to read a file, or - for stdin. Required unless --lines (which reads stdin by default).",
        valueName: "text"))
    var data: String?

    @Option(name: .customLong("attr"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "A message attribute, NAME=VALUE (SQS messageAttributes); repeat for more.", valueName: "name=value"))
    var attributeArguments: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Publish only if no message with this key is retained on the topic; otherwise print that message's id.", valueName: "key"))
    var dedup: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Deliver messages with the same group key one at a time, in order.", valueName: "key"))
    var group: String?

    @Flag(help: "Publish each non-blank line of the data as its own message, all or none in one transaction.")
    var lines = false

    /// The API's limit on dedup and group keys.
    static let maxKeyBytes = 128

    func validate() throws {
        if data == nil, !lines {
            throw ValidationError("give the body with --data TEXT, --data @FILE or --data - (stdin), or use --lines to publish stdin line by line")
        }
        if lines, dedup != nil {
            throw ValidationError("--dedup cannot go with --lines: every line would carry the same key, so only the first would be published")
        }
        for (name, value) in [("--dedup", dedup), ("--group", group)] {
            if let value, value.isEmpty || value.utf8.count > Self.maxKeyBytes {
                throw ValidationError("\(name) must be 1 to \(Self.maxKeyBytes) bytes")
            }
        }
        _ = try attributes()
    }

    /// `--attr NAME=VALUE` options as a map; a malformed or repeated one is a usage error.
    func attributes() throws -> [String: String] {
        var attributes: [String: String] = [:]
        for argument in attributeArguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--attr \(argument) is not NAME=VALUE (e.g. --attr color=red)")
            }
            let name = String(argument[..<equals])
            guard attributes[name] == nil else {
                throw ValidationError("--attr \(name) is given twice; give each attribute once")
            }
            attributes[name] = String(argument[argument.index(after: equals)...])
        }
        return attributes
    }

    func run() async throws {
        if topic.hasPrefix(TopicName.reservedPrefix) {
            throw CLIError(
                "flint publish: \"\(topic)\" is one of Flint's own topics (asynchronous invocations, schedules and bucket events), which cannot be published to; "
                    + "use flint invoke FUNCTION --async for an asynchronous invocation")
        }
        let project = try loadProject(
            root: ProjectLocator.root(projectOptions.project), stopped: "flint publish loads the project to check the topic, and published nothing")
        let numbered = try readMessages()
        let messages = numbered.map(\.message)
        guard !messages.isEmpty else {
            FileHandle.standardError.write(Data("flint publish: the input has no non-blank lines; nothing was published\n".utf8))
            return
        }
        let topology = BusTopology(project: project)
        // Where Flint never ran, the project's topics are all there are: a refusal then makes no
        // database. (One deleted under a running daemon is for openBus to explain.)
        let files = DaemonFiles(project: project)
        if topology.topics[topic] == nil, !FileManager.default.fileExists(atPath: files.database), files.liveDaemon == nil {
            let known = topology.topics.keys.filter { !$0.hasPrefix(TopicName.reservedPrefix) }.sorted()
            let noProject = ProjectLocator.looksLikeAProject(project.root)
                ? "" : " (\(project.root) has no flint.yaml: run flint publish in the project, or give --project DIR)"
            throw CLIError("flint publish: \(BusError.unknownTopic(topic, known: known))\(noProject)")
        }
        let bus = try Self.openBus(of: project, files: files)
        let receipts: [PublishReceipt]
        do {
            // Adds this project's topics without retiring anything: a running daemon is not disturbed.
            try bus.register(topology, retireOthers: false)
            receipts = try await bus.publish(messages)
        } catch {
            throw CLIError("flint publish: \(Self.lineOf(error, in: numbered, lines: lines))\(error.description)")
        }
        for receipt in receipts {
            print(receipt.messageID)
            if receipt.duplicate, let dedup {
                FileHandle.standardError.write(Data("flint publish: a message with dedup key \(dedup) was already published; its id is printed\n".utf8))
            }
        }
        if !topology.subscriptions.contains(where: { $0.topic == topic }) {
            FileHandle.standardError.write(Data(Self.noReceiverNote(topic: topic, count: receipts.count).utf8))
        }
    }

    /// Said when no trigger of the project receives `topic`: a subscription receives only what
    /// is published once it exists, so these messages will never run anything.
    static func noReceiverNote(topic: String, count: Int) -> String {
        "flint publish: note: no queue trigger receives topic \(topic), so \(count == 1 ? "this message" : "these \(count) messages") will run "
            + "nothing (a trigger added later receives only messages published after it); add one in triggers/ and run flint reload\n"
    }

    /// "line N: " for the line of `--lines` input that the bus's refusal is about, when it is
    /// about one (a body that is not JSON, too large, or with a NUL); empty otherwise.
    static func lineOf(_ error: BusError, in messages: [(line: Int, message: OutgoingMessage)], lines: Bool) -> String {
        guard lines, messages.count > 1 else { return "" }
        return error.culprit(in: messages.map(\.message)).map { "line \(messages[$0].line): " } ?? ""
    }

    /// "line N: " for the first line of `raw` (split at "\n") that is not UTF-8; empty when none is.
    static func firstLineNotUTF8(_ raw: Data) -> String {
        let lines = raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        return lines.firstIndex { String(validating: $0, as: UTF8.self) == nil }.map { "line \($0 + 1): " } ?? ""
    }

    /// The messages the options describe, each with its line: one (line 1), or one per non-blank
    /// line with `--lines`.
    private func readMessages() throws -> [(line: Int, message: OutgoingMessage)] {
        let raw = try PayloadSource.read(data ?? "-")
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CLIError("flint publish: \(lines ? Self.firstLineNotUTF8(raw) : "")the body is not UTF-8 text; bodies are text (base64-encode binary data)")
        }
        let attributes = try attributes()
        let bodies: [(line: Int, body: String)]
        if lines {
            // "\r\n" is one Character in Swift, so it is a separator of its own.
            bodies = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                .enumerated().filter { !$0.element.allSatisfy(\.isWhitespace) }.map { ($0.offset + 1, String($0.element)) }
        } else {
            bodies = [(1, text)]
        }
        return bodies.map { line, body in
            (line, OutgoingMessage(topic: topic, body: body, attributes: attributes, dedupKey: dedup, groupKey: group))
        }
    }

    /// The project's database (created if Flint never ran there), with its `bus.durability`.
    static func openBus(of project: Project, files: DaemonFiles) throws -> Bus {
        let path = files.database
        // A running daemon made it: gone now, it was deleted under the daemon, which goes on
        // with the deleted file. A new one would hold messages that daemon never reads.
        if !FileManager.default.fileExists(atPath: path), let daemon = files.liveDaemon {
            throw CLIError(
                "flint publish: \(path) is gone, but Flint is running (pid \(daemon.pid)): the database was deleted under it, "
                    + "and it goes on with the deleted file, so a message published now would never be delivered; "
                    + "restart flint up (what it recorded since the deletion is lost), then publish")
        }
        let durability: FlintDatabase.Durability = switch project.config.bus.durability {
        case .normal: .normal
        case .full: .full
        }
        do {
            return Bus(database: try FlintDatabase(path: path, durability: durability))
        } catch {
            throw CLIError("flint publish: \(BusError.from(error, path: path))")
        }
    }
}
