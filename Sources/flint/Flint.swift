internal import ArgumentParser
internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

@main
struct Flint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flint",
        abstract: "Flint: a self-hosted Function-as-a-Service runtime.",
        discussion: """
            up runs Flint; init, validate, publish and put work on the project's files, database and buckets, \
            whether or not Flint is running (a running daemon delivers what publish commits, and fires the \
            bucket triggers of what put puts, at once; otherwise it does so when it starts). The other \
            commands talk to the running daemon, found through .flint/daemon.json (FLINT_URL and FLINT_TOKEN \
            override it); usage reads the database itself, read-only, when Flint is not running.
            """,
        subcommands: [Up.self, Init.self, Validate.self, Reload.self, List.self, Invoke.self, Publish.self, Put.self, DeadLetters.self, Invocations.self, Usage.self, Logs.self]
    )

    /// `flint --project DIR COMMAND ...` is taken as `flint COMMAND ... --project DIR`: every
    /// command has the option. A first word that is no command is said to be one, with the command
    /// it may be a typo of, rather than taken for unexpected arguments.
    static func main() async {
        // Swift replaces bytes that are not UTF-8 with U+FFFD: a key, topic or name would be
        // quietly another one.
        if let (position, raw) = invalidUTF8Argument() {
            exit(withError: ValidationError(
                "argument \(position) (\(raw)) is not UTF-8 text; object keys, topics and names are UTF-8 (rename the file, or give its name another way)"))
        }
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--project", arguments.count >= 3 {
            arguments = Array(arguments[2...] + arguments[..<2])
        } else if let first = arguments.first, first.hasPrefix("--project="), arguments.count >= 2 {
            arguments = Array(arguments[1...]) + [first]
        }
        if let word = arguments.first, !word.hasPrefix("-") {
            let commands = configuration.subcommands.map { $0._commandName } + ["help"]
            if !commands.contains(word) {
                let hint = KeySuggestion.closest(to: word, among: commands).map { "; did you mean \($0)?" } ?? ""
                exit(withError: ValidationError("flint has no command \"\(word)\"\(hint)"))
            }
        }
        do {
            var command = try await asyncParseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError where error.printsAsIs {
            // The message names its command already ("Error: flint put: ..." would say it twice),
            // or is lines of a documented form.
            _ = (error.description + "\n").withCString { write(STDERR_FILENO, $0, strlen($0)) }
            Glibc.exit(EXIT_FAILURE)
        } catch {
            exit(withError: error)
        }
    }
}

extension Flint {
    /// The first argument whose bytes are not UTF-8 (1-based, after the program's name), shown
    /// with its bytes as they would print; nil when all are.
    static func invalidUTF8Argument() -> (Int, String)? {
        for index in 1 ..< Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(validating: bytes, as: UTF8.self) == nil {
                return (index, String(decoding: bytes, as: UTF8.self))
            }
        }
        return nil
    }
}

/// `--project DIR`, shared by every command.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The project directory (default: the current directory).",
        valueName: "dir"))
    var project: String?
}

/// `--json`, for commands that print tables.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}
