internal import FlintCore
internal import FlintRunner
internal import Foundation

/// What `flint init` writes, all or nothing: the function's directory and files, its build, its
/// trigger, and the checks that the project still loads and that `flint up` would run it. Any
/// failure, cancellation included, removes what was written.
struct ScaffoldInstallation: Sendable {
    let root: String
    let scaffold: FunctionScaffold
    /// The first directory of flint.yaml's `functions:`, absolute.
    let functionsRoot: String
    let triggersDirectory: String
    /// Whether the project loaded before: then it must still load with the new function (its
    /// name or its route may be taken, or its trigger file named as another's).
    let loadedBefore: Bool

    var functionDirectory: String { functionsRoot + "/" + scaffold.name }

    /// Writes everything and returns what was written (relative to the root, in order) and the
    /// project as it loads now.
    func perform() async throws -> (written: [String], project: Result<Project, any Error>) {
        let name = scaffold.name
        let writer = ScaffoldWriter(root: root)
        try writer.refuseExisting(functionDirectory)
        let triggerPath = scaffold.triggerFile.map { triggersDirectory + "/" + $0.path }
        if let triggerPath { try writer.refuseExisting(triggerPath) }
        // Both directories first, so that a file in the way is said before anything slow runs.
        try writer.makeDirectories(functionsRoot, setting: "functions", for: functionDirectory)
        if let triggerPath { try writer.makeDirectories(triggersDirectory, setting: "triggers", for: triggerPath) }

        try writer.makeDirectory(functionDirectory)
        try writer.write(scaffold.functionFiles, into: functionDirectory)
        if let step = scaffold.handler.buildStep {
            print("flint init: \(step.description) in \(writer.display(functionDirectory)) (\(step.command.joined(separator: " ")))")
            try await writer.build(step, in: functionDirectory)
        }
        if let triggerFile = scaffold.triggerFile {
            try writer.write([triggerFile], into: triggersDirectory)
        }
        let loaded = Result { try loadProject(root: root) }
        if case .failure(let error) = loaded, loadedBefore {
            throw CLIError("flint init \(name) wrote nothing: the project would not load with it.\n\(error)")
        }
        // The rule flint up applies. A user: it cannot honour is validate's and up's to report,
        // with the whole project's problems.
        if case .success(let project) = loaded, let function = project.functions[name],
           let refusal = (try? HandlerIsolation.forChecks(user: project.config.user))?.refusal(of: function) {
            throw CLIError("flint init \(name) wrote nothing: flint up would not run it. \(refusal)")
        }
        // Interrupted while checking: nothing is kept, as for an interruption before.
        try Task.checkCancellation()
        writer.commit()
        return (writer.written, loaded)
    }
}
