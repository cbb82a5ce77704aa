internal import FlintCore
internal import Foundation

extension ProjectLocator {
    /// Whether `directory` looks like a project: it has a `flint.yaml`, or both the `functions`
    /// and the `triggers` directory `flint init` makes (`functions/` alone is a common name).
    static func looksLikeAProject(_ directory: String) -> Bool {
        let exists = { (name: String) in FileManager.default.fileExists(atPath: Project.resolve(name, against: directory)) }
        let defaults = FlintConfig()
        return exists(ProjectLoader.configFileName) || (exists(defaults.triggers) && defaults.functions.allSatisfy(exists))
    }

    /// The nearest directory above `directory` that looks like a project, when `directory` does
    /// not; nil otherwise. Only named in a message, never loaded: what is above may be anyone's.
    static func projectAbove(_ directory: String) -> String? {
        guard !looksLikeAProject(directory) else { return nil }
        var current = directory
        while current != "/" {
            let parent = PathComponents.parent(of: current)
            current = parent.isEmpty ? "/" : parent
            if looksLikeAProject(current) { return current }
        }
        return nil
    }

    /// A note for a command run where there is no project at all (no `flint.yaml`, function or
    /// trigger): a mistyped or missing `--project`, most likely, which would otherwise pass for
    /// an empty project (`flint up` serving nothing).
    static func noProjectNote(_ project: Project, command: String) -> String? {
        guard project.functions.isEmpty, project.triggers.isEmpty,
              !FileManager.default.fileExists(atPath: Project.resolve(ProjectLoader.configFileName, against: project.root))
        else { return nil }
        let above = projectAbove(project.root).map { ", and is inside \($0), which looks like a project" } ?? ""
        return "flint \(command): note: \(project.root) has no flint.yaml, functions or triggers\(above): is this the project? "
            + "Run flint \(command) in the project, or give --project DIR\n"
    }

    /// Refuses to make a project's files (a bucket, a function) in `root` when no `--project`
    /// was given and `root`, the current directory, is inside a project rather than one: run in
    /// a bucket or in `functions/`, the command would make a second project's `buckets/` or
    /// `functions/` there.
    static func refuseOutsideAProject(_ root: String, givenProject: String?, command: String) throws {
        guard givenProject == nil, let above = projectAbove(root) else { return }
        throw CLIError(
            "flint \(command): \(root) is not a project (no flint.yaml, nor functions/ and triggers/), but is inside \(above), which looks like one; "
                + "run flint \(command) there, or give --project \(above) (or --project . to make a project here)")
    }
}
