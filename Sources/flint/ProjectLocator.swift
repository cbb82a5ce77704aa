internal import FlintCore
internal import Foundation

/// Finds a project's root and settings without loading its functions (for commands that only
/// need the data directory).
enum ProjectLocator {
    static func root(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    /// The settings of `flint.yaml` (defaults when there is none).
    static func config(root: String) throws -> FlintConfig {
        let path = Project.resolve(ProjectLoader.configFileName, against: root)
        guard let data = FileManager.default.contents(atPath: path) else { return FlintConfig() }
        return try FlintConfig.parse(yaml: String(decoding: data, as: UTF8.self), file: ProjectLoader.configFileName)
    }

    static func dataDirectory(root: String) throws -> String {
        Project.resolve(try config(root: root).data, against: root)
    }
}
