internal import ArgumentParser
internal import FlintCore
internal import FlintRunner
internal import FlintServer
internal import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check flint.yaml, every function.yaml and every trigger; print all problems at once.")

    @OptionGroup var projectOptions: ProjectOptions

    func run() async throws {
        let root = ProjectLocator.root(projectOptions.project)
        let project = try loadProject(root: root, onThisMachine: true)
        let refusals = Self.refusals(of: project)
        guard refusals.isEmpty else {
            let count = refusals.count
            throw CLIError(printedAsIs: refusals.joined(separator: "\n")
                + "\n\(count) problem\(count == 1 ? "" : "s") in \(root) that flint up would refuse on this machine; fix \(count == 1 ? "it" : "them") and run flint validate")
        }
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
        if let note = ProjectLocator.noProjectNote(project, command: "validate") {
            FileHandle.standardError.write(Data(note.utf8))
        }
        // Not refused by flint up either (it lists the bucket NOT WATCHED), but nothing would fire.
        let watchesABucket = project.triggers.contains { if case .bucket = $0.source { true } else { false } }
        if watchesABucket, let problem = project.bucketsRootProblem {
            FileHandle.standardError.write(Data("flint validate: note: \(problem); no bucket trigger will fire until it can be\n".utf8))
        }
        for note in Self.bareFileArguments(of: project) {
            FileHandle.standardError.write(Data("flint validate: note: \(note)\n".utf8))
        }
        for trigger in project.triggers {
            guard case .bucket(let watched) = trigger.source, project.bucketIsSymbolicLink(watched.bucket) else { continue }
            FileHandle.standardError.write(Data(
                "flint validate: note: bucket \(watched.bucket) at \(project.bucketsDirectory)/\(watched.bucket) is a symbolic link, which Flint never follows: trigger \(trigger.name) will not fire until it is a real directory\n".utf8))
        }
    }

    /// Arguments that name a file of the function's directory without `./`: passed as written,
    /// they are looked for in the invocation's own empty working directory, and the handler
    /// fails on every run (`python3: can't open file 'handler.py'`). Only noted: such an
    /// argument may be meant as written.
    static func bareFileArguments(of project: Project) -> [String] {
        project.functions.values.sorted { $0.name < $1.name }.flatMap { function in
            function.command.dropFirst().filter { argument in
                !argument.hasPrefix("/") && !argument.hasPrefix("-") && !HandlerArguments.isResolvedAgainstFunctionDirectory(argument)
                    && FileManager.default.fileExists(atPath: function.directory + "/" + argument)
            }.map { argument in
                "function \(function.name): command argument \"\(argument)\" names a file of its directory, but a handler runs in a working directory of its own, "
                    + "where it is not: write \"./\(argument)\" (./ is the function's directory)"
            }
        }
    }

    /// What `flint up` would refuse on this machine in a project whose files are all valid: a
    /// function the handler user cannot run or that asks for isolation this machine lacks, routes
    /// without auth on a listener others can reach, a buckets root it cannot make output buckets
    /// in, an output bucket Flint cannot write into.
    static func refusals(of project: Project) -> [String] {
        var problems: [String] = []
        do {
            let isolation = try HandlerIsolation.forChecks(user: project.config.user)
            problems += project.functions.values.sorted { $0.name < $1.name }.compactMap { isolation.refusal(of: $0) }
        } catch {
            problems.append(error.description)
        }
        if let open = FlintDaemon.openTriggersProblem(listen: project.config.listen, triggers: project.triggers) {
            problems.append(open)
        }
        if project.functions.values.contains(where: { $0.output != nil }), let problem = project.bucketsRootProblem {
            problems.append(problem)
        }
        for bucket in Set(project.functions.values.compactMap(\.output)).sorted() {
            if let problem = project.outputBucketProblem(bucket) { problems.append(problem) }
        }
        return problems
    }
}
