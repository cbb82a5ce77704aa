import FlintCore
@testable import FlintServer
import Foundation
import Testing

/// What `flint up` asks the sandbox to hide.
@Suite struct DaemonIsolationTests {
    /// A new temporary directory `base` with `base/project/<link>`, a symbolic link to the
    /// directory `base/elsewhere/<target>`; the caller removes `base`.
    static func projectWithLink(_ link: String, to target: String) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("flint-hidden-\(UUID().uuidString)").path
        let linkPath = base + "/project/" + link
        try FileManager.default.createDirectory(atPath: (linkPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/elsewhere/" + target, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: base + "/elsewhere/" + target)
        return base
    }

    @Test func hiddenPaths_includeEveryFunctionsDirectory_insideTheProjectOrNot() {
        let project = Project(
            root: "/srv/project",
            config: FlintConfig(functions: ["functions", "/opt/shared-functions", "../sibling/functions/"], data: "/var/lib/flint"),
            functions: [:], triggers: []
        )
        let files = DaemonFiles(project: project)
        let hidden = DaemonIsolation.hiddenPaths(project: project, files: files)
        #expect(hidden == [
            "/srv/project", "/var/lib/flint", "/srv/project/buckets", files.workRoot,
            "/srv/project/functions", "/opt/shared-functions", "/srv/sibling/functions", "/srv/project/triggers",
        ])
    }

    /// A data directory that is a link to elsewhere: its target is hidden, not only the link's
    /// name inside the (hidden) project, which would leave the target visible read-only.
    @Test func hiddenPaths_includeTheTargetsOfLinks() throws {
        let base = try Self.projectWithLink(".flint", to: "state")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let project = Project(root: base + "/project", config: FlintConfig(), functions: [:], triggers: [])
        let hidden = DaemonIsolation.hiddenPaths(project: project, files: DaemonFiles(project: project))
        let target = URL(fileURLWithPath: base + "/elsewhere/state").resolvingSymlinksInPath().path
        #expect(hidden.contains(target), "\(hidden)")
        #expect(hidden.contains(base + "/project/.flint"))
    }

    /// A function directory that is a link to elsewhere: its target (with the function's
    /// `env`) is hidden from the other functions' sandboxes too.
    @Test func hiddenPaths_includeTheTargetsOfFunctionDirectoriesThatAreLinks() throws {
        let base = try Self.projectWithLink("functions/secret", to: "secret")
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FileManager.default.createFile(atPath: base + "/elsewhere/secret/run", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
        let manifest = try FunctionManifest.parse(yaml: "name: secret\ncommand: [./run]\n", file: "function.yaml", directory: base + "/project/functions/secret")
        let project = Project(root: base + "/project", config: FlintConfig(), functions: ["secret": manifest], triggers: [])
        let hidden = DaemonIsolation.hiddenPaths(project: project, files: DaemonFiles(project: project))
        let target = URL(fileURLWithPath: base + "/elsewhere/secret").resolvingSymlinksInPath().path
        #expect(hidden.contains(target), "\(hidden)")
    }
}
