internal import ArgumentParser
internal import FlintCore
internal import FlintRunner
internal import FlintServer
internal import Foundation
internal import Logging

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Flint on a project in the foreground (Ctrl-C or SIGTERM drains and stops).")

    @OptionGroup var projectOptions: ProjectOptions

    @Option(help: ArgumentHelp("Where to listen (default: listen in flint.yaml, else 127.0.0.1:8080; port 0 picks a free port).", valueName: "host:port"))
    var listen: String?

    func validate() throws {
        if let listen, ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen \(listen) is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:0)")
        }
        _ = try Self.logLevel()
    }

    /// `FLINT_LOG_LEVEL`, in any case; info when unset.
    static func logLevel() throws -> Logger.Level {
        guard let text = ProcessInfo.processInfo.environment["FLINT_LOG_LEVEL"], !text.isEmpty else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let known = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("FLINT_LOG_LEVEL=\(text) is not a log level; use one of \(known)")
        }
        return level
    }

    func run() async throws {
        let level = try Self.logLevel()
        LoggingSystem.bootstrap { _ in LogfmtLogHandler(logLevel: level) }
        let project = try loadProject(root: ProjectLocator.root(projectOptions.project), onThisMachine: true, stopped: "flint up did not start")
        if let note = ProjectLocator.noProjectNote(project, command: "up") {
            FileHandle.standardError.write(Data(note.utf8))
        }
        let address = listen.flatMap(ListenAddress.init(parsing:)) ?? project.config.listen
        // One write per line, so each invocation's line appears at once even through a pipe; from a
        // thread of its own, so that a stdout nobody reads never holds up an invocation.
        let console = ConsoleWriter()
        let daemon = FlintDaemon(project: project, listen: address, logger: Logger(label: "flint")) { line in
            console.write(line)
        }
        defer { console.flush(within: 2) }
        do {
            try await daemon.run()
        } catch {
            throw CLIError("flint up: \(error)")
        }
    }
}

/// Loads and validates the project, or fails with every problem found, one per line.
/// `onThisMachine`: also that this machine has the account flint.yaml's `user` names, as the
/// commands that run handlers here need. `stopped`: what the failure stopped, said after the
/// count of problems.
func loadProject(root: String, onThisMachine: Bool = false, stopped: String? = nil) throws -> Project {
    do {
        return try ProjectLoader.load(root: root, accountExists: onThisMachine ? { HandlerUser.named($0) != nil } : nil)
    } catch {
        let count = error.issues.count
        throw CLIError(printedAsIs: "\(error)\n\(count) problem\(count == 1 ? "" : "s") in \(root)\(stopped.map { "; \($0)" } ?? ""); "
            + "fix \(count == 1 ? "it" : "them") and run flint validate")
    }
}
