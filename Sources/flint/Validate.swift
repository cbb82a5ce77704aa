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
        for bucket in Set(project.functions.values.compactMap(\.output)).sorted() where Self.isSymbolicLink(bucket, in: project) {
            throw CLIError(
                "output bucket \(bucket) at \(project.bucketsDirectory)/\(bucket) is a symbolic link, and Flint never follows one; make it a real directory (or set buckets: in flint.yaml to where the files are)")
        }
        print("ok: \(project.functions.count) function\(project.functions.count == 1 ? "" : "s"), \(project.triggers.count) trigger\(project.triggers.count == 1 ? "" : "s") in \(root)")
        // Not refused by flint up either (it lists the bucket NOT WATCHED), but nothing would fire.
        for trigger in project.triggers {
            guard case .bucket(let watched) = trigger.source, Self.isSymbolicLink(watched.bucket, in: project) else { continue }
            FileHandle.standardError.write(Data(
                "flint validate: note: bucket \(watched.bucket) at \(project.bucketsDirectory)/\(watched.bucket) is a symbolic link, which Flint never follows: trigger \(trigger.name) will not fire until it is a real directory\n".utf8))
        }
    }

    private static func isSymbolicLink(_ bucket: String, in project: Project) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(project.bucketsDirectory)/\(bucket)")) != nil
    }
}
