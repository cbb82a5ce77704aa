internal import ArgumentParser
internal import FlintCore

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check flint.yaml, every function.yaml and every trigger; print all problems at once.")

    @OptionGroup var projectOptions: ProjectOptions

    func run() async throws {
        let root = ProjectLocator.root(projectOptions.project)
        let project = try loadProject(root: root)
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
    }
}
