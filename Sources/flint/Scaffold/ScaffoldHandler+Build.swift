internal import FlintCore
internal import FlintRunner
internal import Foundation
internal import Logging

extension ScaffoldHandler.BuildStep {
    /// How long a build step may take (pip fetching from PyPI, swiftc on a busy machine).
    static let timeout: Duration = .seconds(600)
    /// swiftc's optimizer needs more than a handler's default data limit.
    static let memoryBytes = 4 * 1024 * 1024 * 1024

    /// Runs the step in `directory` as a one-off invocation of Flint's exec runner: `PATH` is the
    /// user's for a compiler, the handlers' own for a step that prepares what the handler will find.
    func run(in directory: String) async throws -> InvocationResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("flint-init-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let path = asHandler ? ExecutableLookup.defaultSearchPath : (ProcessInfo.processInfo.environment["PATH"] ?? ExecutableLookup.defaultSearchPath)
        let step = FunctionManifest(
            name: "flint-init-build", directory: directory, command: command, timeout: Self.timeout,
            memoryBytes: Self.memoryBytes, environment: ["PATH": path]
        )
        let runner = ExecRunner(workRoot: scratch, logger: Logger(label: "flint.init"))
        return await runner.run(InvocationRequest(function: step.name, source: .cli, payload: Data()), function: step)
    }
}
