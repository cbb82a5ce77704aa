internal import ArgumentParser
internal import FlintCore
internal import FlintServer
internal import Foundation

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a new function, with a working handler and a trigger for it.",
        discussion: """
            Writes FUNCTIONS/NAME/function.yaml and a handler into the first directory flint.yaml's \
            functions: lists (functions/ by default), and triggers/NAME.yaml binding it: POST /NAME \
            (http), topic NAME (queue) or bucket NAME (bucket). Swift handlers are compiled with swiftc \
            right away; a lambda Python handler gets awslambdaric in its vendor/ directory, from PyPI. Nothing that exists is overwritten. Then checks the whole project as flint \
            validate does. A daemon already running picks the new function up with flint reload.
            """)

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "The function's name: 1 to 64 characters of a-z, 0-9 and -.")
    var name: String

    @Option(help: "exec (one process per invocation) or lambda (the Lambda Runtime API, reused while warm).")
    var runtime: String = Runtime.exec.rawValue

    @Option(help: "The handler's language: sh, python or swift.")
    var lang: String = FunctionScaffold.Language.sh.rawValue

    @Option(help: "What invokes it: http, queue, bucket or none (flint invoke only).")
    var trigger: String = FunctionScaffold.TriggerKind.http.rawValue

    func validate() throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw ValidationError("\"\(name)\" cannot name a function: use 1 to 64 characters of a-z, 0-9 and -")
        }
        guard Runtime(rawValue: runtime) != nil else {
            throw ValidationError("--runtime \(runtime): use exec or lambda")
        }
        guard FunctionScaffold.Language(rawValue: lang) != nil else {
            throw ValidationError("--lang \(lang): use sh, python or swift")
        }
        guard let kind = FunctionScaffold.TriggerKind(rawValue: trigger) else {
            throw ValidationError("--trigger \(trigger): use http, queue, bucket or none")
        }
        // The http trigger's route is POST /NAME, which must not be one of Flint's own paths.
        if kind == .http, HTTPTrigger.reservedFirstSegments.contains(name) {
            let reserved = HTTPTrigger.reservedFirstSegments.sorted().map { "/" + $0 }.joined(separator: ", ")
            throw ValidationError(
                "\"\(name)\" cannot name a function with an http trigger: its route would be POST /\(name), and Flint serves "
                    + "\(reserved) itself; choose another name, or --trigger queue, bucket or none")
        }
    }

    func run() async throws {
        guard let runtime = Runtime(rawValue: runtime), let language = FunctionScaffold.Language(rawValue: lang),
              let trigger = FunctionScaffold.TriggerKind(rawValue: trigger)
        else { throw ExitCode.validationFailure }  // validate() has refused these already
        let root = ProjectLocator.root(projectOptions.project)
        try ProjectLocator.refuseOutsideAProject(root, givenProject: projectOptions.project, command: "init")
        let config = try ProjectLocator.config(root: root)
        guard let functions = config.functions.first else {
            throw CLIError("flint.yaml lists no function directories (functions: []); add one, e.g. functions: [functions], and run flint init again")
        }
        // The suggested curl goes where Flint listens now, when it runs (`--listen`, port 0).
        let daemonFiles = DaemonFiles(directory: Project.resolve(config.data, against: root))
        let listen = daemonFiles.liveDaemon.map { ListenAddress(host: $0.host, port: $0.port) } ?? config.listen
        let scaffold = FunctionScaffold(name: name, runtime: runtime, language: language, trigger: trigger, listen: listen)
        let installation = ScaffoldInstallation(
            root: root, scaffold: scaffold, functionsRoot: Project.resolve(functions, against: root),
            triggersDirectory: Project.resolve(config.triggers, against: root),
            loadedBefore: (try? ProjectLoader.load(root: root)) != nil)
        let (written, loaded) = try await InterruptCancellation.run(
            interruptedNotice: "flint init \(name): interrupted; what it had written is removed"
        ) {
            try await installation.perform()
        }
        for line in written { print("created \(line)") }
        let project = try loaded.get()
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
        print("try it, with flint up running (flint reload, if it was running already):")
        let here = FileManager.default.currentDirectoryPath
        let hints = ScaffoldHints(
            name: name, trigger: trigger, listen: listen, adminToken: ScaffoldWriter.relative(daemonFiles.adminToken, to: here),
            project: root == here ? nil : root)
        for line in hints.lines { print("  \(line)") }
    }
}
