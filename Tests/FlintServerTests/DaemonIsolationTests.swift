import FlintCore
@testable import FlintServer
import Testing

/// What `flint up` asks the sandbox to hide.
@Suite struct DaemonIsolationTests {
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
            "/srv/project/functions", "/opt/shared-functions", "/srv/sibling/functions",
        ])
    }
}
