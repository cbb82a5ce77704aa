import FlintCore
import FlintRunner
import Foundation
import Logging
import Testing

/// A temporary directory holding a function directory and a work root, plus a runner over them.
/// `withFixture` removes it all afterwards.
struct Fixture {
    let root: String
    let runner: ExecRunner

    var functionDirectory: String { root + "/function" }
    var workRoot: String { root + "/work" }

    init(settings: ExecRunnerSettings = .init()) throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/flint-runner-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        root = String(cString: created)
        try FileManager.default.createDirectory(atPath: root + "/function", withIntermediateDirectories: false)
        runner = ExecRunner(workRoot: root + "/work", settings: settings, logger: Logger(label: "flint.runner.tests"))
    }

    /// Writes an executable (mode 755) into the function directory and returns its `./name`.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        try writeScript(name, body, into: functionDirectory)
    }

    func manifest(
        _ command: [String], timeout: Duration = .seconds(10), memoryBytes: Int = FunctionManifest.defaultMemoryBytes,
        environment: [String: String] = [:]
    ) -> FunctionManifest {
        FunctionManifest(
            name: "test-function", directory: functionDirectory, command: command, timeout: timeout,
            memoryBytes: memoryBytes, environment: environment
        )
    }

    func run(
        _ command: [String], payload: Data = Data("{}".utf8), timeout: Duration = .seconds(10),
        memoryBytes: Int = FunctionManifest.defaultMemoryBytes, environment: [String: String] = [:]
    ) async -> InvocationResult {
        await runner.run(
            InvocationRequest(
                function: "test-function", trigger: "test-trigger", source: .cli, attempt: 2, payload: payload
            ),
            function: manifest(command, timeout: timeout, memoryBytes: memoryBytes, environment: environment)
        )
    }

    /// Reads a file the handler wrote (outside its working directory), e.g. a pid.
    func readPID(_ name: String) -> Int32? {
        guard let text = try? String(contentsOfFile: root + "/" + name, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// What is left in the work root (nil when it does not exist).
    func workRootEntries() -> [String]? {
        try? FileManager.default.contentsOfDirectory(atPath: workRoot)
    }

    func remove() {
        // A handler may have left read-only directories; the runner's own remover copes with them,
        // and FileManager suffices for what tests create.
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Runs `body` with a fresh fixture and removes the fixture afterwards, whatever happens.
func withFixture(
    settings: ExecRunnerSettings = .init(), _ body: (Fixture) async throws -> Void
) async throws {
    let fixture = try Fixture(settings: settings)
    defer { fixture.remove() }
    try await body(fixture)
}

/// Whether a process has ended: no /proc entry, or a zombie (re-parented to PID 1, not yet reaped).
func isGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let nameEnd = stat.lastIndex(of: ")")
    else {
        return true
    }
    let state = stat[stat.index(after: nameEnd)...].split(separator: " ").first
    return state == "Z" || state == "X"
}

/// Polls `condition` until it holds or `timeout` passes; returns its last value. The default is a
/// deadline for something that will happen, generous because the whole suite runs in parallel on
/// 2 cores (a handler starting has been seen to take over 5 s there); it only delays a failure.
func eventually(within timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

extension InvocationResult {
    var outputText: String { String(decoding: output, as: UTF8.self) }
    var logText: String { String(decoding: log, as: UTF8.self) }
}

/// Writes an executable (mode 755) named `name` into `directory` and returns its `./name`, as a
/// manifest's command names it.
@discardableResult
func writeScript(_ name: String, _ body: String, into directory: String) throws -> String {
    let path = directory + "/" + name
    try body.write(toFile: path, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return "./" + name
}
