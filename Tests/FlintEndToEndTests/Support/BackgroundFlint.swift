import Foundation
import Synchronization

/// A `flint` command left running (`flint logs -f`), its stdout and stderr collected as they
/// come. Released, it is stopped (SIGTERM, then SIGKILL) and reaped.
final class BackgroundFlint: @unchecked Sendable {
    private final class Output: Sendable {
        let texts = Mutex((stdout: "", stderr: ""))
    }

    private let process: Process
    private let output = Output()
    private let pipes: [Pipe]

    /// - Parameter holdingStdout: leave its stdout unread until `releaseStdout()`, so that it
    ///   stops once the pipe is full, as behind a reader that does not keep up.
    init(_ arguments: [String], holdingStdout: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FlintBinary.path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        self.process = process
        pipes = [out, err]
        if !holdingStdout { releaseStdout() }
        err.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.texts.withLock { $0.stderr += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Starts collecting stdout.
    func releaseStdout() {
        // At end of file the handler is removed: left in place, it would be called again and again.
        pipes[0].fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.texts.withLock { $0.stdout += String(decoding: data, as: UTF8.self) }
        }
    }

    var stdout: String { output.texts.withLock { $0.stdout } }
    var stderr: String { output.texts.withLock { $0.stderr } }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus }

    /// Waits (bounded) until `condition` holds of what it printed so far; output can still
    /// arrive for a moment after the process has exited.
    func waitUntil(_ what: String, within seconds: Double = 20, _ condition: @escaping (_ stdout: String, _ stderr: String) -> Bool) async throws {
        var exitSeen: Date?
        _ = try await eventually(what, within: seconds) {
            let (stdout, stderr) = output.texts.withLock { ($0.stdout, $0.stderr) }
            if condition(stdout, stderr) { return true }
            if process.isRunning { return nil }
            let exited = exitSeen ?? Date()
            exitSeen = exited
            guard Date().timeIntervalSince(exited) < 1 else {
                throw TestFailure("flint \(process.arguments?.joined(separator: " ") ?? "") exited \(process.terminationStatus) before \(what); stdout: \(stdout) stderr: \(stderr)")
            }
            return nil
        }
    }

    /// Waits (bounded) for it to exit by itself.
    func waitForExit(within seconds: Double = 10) async throws {
        _ = try await eventually("flint to exit", within: seconds) { process.isRunning ? nil : true }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        for pipe in pipes { pipe.fileHandleForReading.readabilityHandler = nil }
    }
}
