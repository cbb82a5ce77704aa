import Foundation
import FlintCore

/// A project directory of the test's own under the system's temporary directory; `withTemporaryProject`
/// removes it, whatever the test does.
struct TemporaryProjectDirectory {
    /// Absolute path of the directory.
    let root: String

    /// Writes `contents` to `path` (relative to the root), creating directories on the way.
    func write(_ path: String, _ contents: String, executable: Bool = false) throws {
        let fullPath = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (fullPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try Data(contents.utf8).write(to: URL(fileURLWithPath: fullPath))
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: fullPath)
    }

    /// Writes an executable shell script at `path`.
    func writeScript(_ path: String) throws {
        try write(path, "#!/bin/sh\ncat\n", executable: true)
    }

    /// Creates the directory `path` (relative to the root).
    func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
    }

    /// Loads the project, expecting it to be valid.
    func load() throws -> Project {
        try ProjectLoader.load(root: root)
    }

    /// Loads the project, expecting it to be refused, and returns its issues as printed.
    func loadIssues() -> [String] {
        do {
            _ = try ProjectLoader.load(root: root)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }
}

/// Runs `body` with a fresh, empty project directory and removes the directory afterwards.
func withTemporaryProject<T>(_ body: (TemporaryProjectDirectory) throws -> T) throws -> T {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("flint-core-tests-\(UUID().uuidString)")
        .standardizedFileURL.path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    return try body(TemporaryProjectDirectory(root: root))
}

/// The issues `parse` throws, as printed; empty when it succeeds.
func configIssues<T>(of parse: () throws(ProjectLoadError) -> T) -> [String] {
    do {
        _ = try parse()
        return []
    } catch {
        return error.issues.map(\.description)
    }
}
