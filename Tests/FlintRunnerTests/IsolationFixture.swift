import FlintCore
import FlintRunner
import Foundation
import Logging

/// A temporary project-like directory (mode 0755, so another user can reach its function
/// directory) with a runner whose handlers get `HandlerIsolation` as prepared from `settings`.
/// `withIsolationFixture` removes it all afterwards, the runner's cgroups included.
struct IsolationFixture {
    let root: String
    let runner: ExecRunner
    let isolation: HandlerIsolation

    var functionDirectory: String { root + "/function" }
    /// A directory standing for the daemon's data directory: what a sandbox must hide.
    var dataDirectory: String { root + "/.flint" }

    init(settings: IsolationSettings) throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/flint-isolation-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let root = String(cString: created)
        self.root = root
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
        try FileManager.default.createDirectory(atPath: root + "/function", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: root + "/.flint", withIntermediateDirectories: false)
        var settings = settings
        settings.hiddenPaths = [root, root + "/.flint"]
        let logger = Logger(label: "flint.isolation.tests")
        isolation = try HandlerIsolation.prepare(settings, logger: logger)
        runner = ExecRunner(workRoot: root + "/work", isolation: isolation, logger: logger)
    }

    /// Writes an executable (mode 755) into the function directory and returns its `./name`.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        try writeScript(name, body, into: functionDirectory)
    }

    func run(
        _ command: [String], timeout: Duration = .seconds(10), memoryBytes: Int = FunctionManifest.defaultMemoryBytes,
        isolation mode: Isolation = .process, network: Bool = false, outputDirectory: String? = nil
    ) async -> InvocationResult {
        var request = InvocationRequest(
            function: "isolated", trigger: "test-trigger", source: .cli, attempt: 1, payload: Data("{}".utf8)
        )
        request.outputDirectory = outputDirectory
        return await runner.run(
            request,
            function: FunctionManifest(
                name: "isolated", directory: functionDirectory, command: command, timeout: timeout,
                memoryBytes: memoryBytes, isolation: mode, network: network
            )
        )
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Runs `body` with a fresh fixture and removes it afterwards, whatever happens.
func withIsolationFixture(
    _ settings: IsolationSettings = IsolationSettings(), _ body: (IsolationFixture) async throws -> Void
) async throws {
    let fixture = try IsolationFixture(settings: settings)
    defer { fixture.remove() }
    try await body(fixture)
}

/// What the machine offers, checked at run time (tests needing a mechanism are skipped without it).
enum IsolationAvailability {
    static let isRoot = getuid() == 0
    /// The probe's cgroups are removed as soon as it is released.
    private static func probe<T>(_ read: (HandlerIsolation?) -> T) -> T {
        read(try? HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.isolation.probe")))
    }
    static let hasCgroups = probe { $0?.cgroupsUnavailable == nil }
    static let hasBubblewrap = probe { $0?.bubblewrap != nil }
    static let hasPython = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
}
