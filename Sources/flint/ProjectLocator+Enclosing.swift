internal import FlintCore
internal import Foundation

extension ProjectLocator {
    /// Whether `directory` looks like a project: it has a `flint.yaml`, or the `functions` or
    /// `triggers` directory `flint init` makes.
    static func looksLikeAProject(_ directory: String) -> Bool {
        [ProjectLoader.configFileName, FlintConfig().triggers, FlintConfig().functions.first ?? "functions"].contains { name in
            FileManager.default.fileExists(atPath: Project.resolve(name, against: directory))
        }
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

    /// Refuses to make a project's files (a bucket, a function) in `root` when no `--project`
    /// was given and `root`, the current directory, is inside a project rather than one: run in
    /// a bucket or in `functions/`, the command would make a second project's `buckets/` or
    /// `functions/` there.
    static func refuseOutsideAProject(_ root: String, givenProject: String?, command: String) throws {
        guard givenProject == nil, let above = projectAbove(root) else { return }
        throw CLIError(
            "flint \(command): \(root) is not a project (no flint.yaml, functions or triggers), but is inside \(above), which looks like one; "
                + "run flint \(command) there, or give --project \(above) (or --project . to make a project here)")
    }
}
