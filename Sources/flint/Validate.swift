internal import ArgumentParser
internal import FlintCore
internal import FlintRunner
internal import Foundation

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
        for bucket in Set(project.functions.values.compactMap(\.output)).sorted() {
            if let problem = project.outputBucketProblem(bucket) { throw CLIError(problem) }
        }
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
        // Not refused by flint up either (it lists the bucket NOT WATCHED), but nothing would fire.
        for trigger in project.triggers {
            guard case .bucket(let watched) = trigger.source, project.bucketIsSymbolicLink(watched.bucket) else { continue }
            FileHandle.standardError.write(Data(
                "flint validate: note: bucket \(watched.bucket) at \(project.bucketsDirectory)/\(watched.bucket) is a symbolic link, which Flint never follows: trigger \(trigger.name) will not fire until it is a real directory\n".utf8))
        }
    }
}
