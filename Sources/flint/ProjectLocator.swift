internal import FlintCore
internal import Foundation

/// Finds a project's root and settings without loading its functions (for commands that only
/// need the data directory).
enum ProjectLocator {
    /// The project `--project` names, or the current directory. Never a directory above it: a
    /// `flint.yaml` found there could be anyone's, even a handler's output (the daemon writes
    /// those as its own user), and would decide what root's `flint up` runs. Commands that would
    /// make a project where there is none say so instead (`refuseOutsideAProject`).
    static func root(_ path: String?) -> String {
        absolute(path ?? ".")
    }

    /// `path`, absolute and standardized (relative to the current directory).
    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    /// The settings of `flint.yaml` (defaults when there is none; an error when it is there but
    /// cannot be read).
    static func config(root: String) throws -> FlintConfig {
        let path = Project.resolve(ProjectLoader.configFileName, against: root)
        guard let data = FileManager.default.contents(atPath: path) else {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw CLIError("\(path) cannot be read (is it a directory, or not readable?); flint validate says what is wrong")
            }
            return FlintConfig()
        }
        return try FlintConfig.parse(yaml: String(decoding: data, as: UTF8.self), file: ProjectLoader.configFileName)
    }

    /// `root`, when it is a directory: commands that write into a project must not make one
    /// where a mistyped `--project` points.
    static func existingRoot(_ path: String?) throws -> String {
        let root = root(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("project directory \(root) does not exist; run the command in the project, or give --project DIR")
        }
        return root
    }

    static func dataDirectory(root: String) throws -> String {
        Project.resolve(try config(root: root).data, against: root)
    }
}
