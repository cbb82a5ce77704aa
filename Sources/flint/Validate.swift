internal import ArgumentParser
internal import FlintCore
internal import FlintRunner

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check flint.yaml, every function.yaml and every trigger; print all problems at once.")

    @OptionGroup var projectOptions: ProjectOptions

    func run() async throws {
        let root = ProjectLocator.root(projectOptions.project)
        let project = try loadProject(root: root)
        // What only this machine can tell, and `flint up` would refuse.
        if let user = project.config.user, HandlerUser.named(user) == nil {
            throw CLIError(IsolationError.unknownUser(user).description)
        }
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
    }
}
