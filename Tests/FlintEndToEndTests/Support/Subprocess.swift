import Foundation

/// Runs a program to completion and returns what it printed: the `flint` binary, sqlite3, the
/// tools the tests check Flint's work with.
enum Subprocess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `executable ARGS` (bounded by `timeout`), with `stdin` as its input.
    static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil, stdin: Data? = nil,
        environment: [String: String] = [:], timeout: Double = 60
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // Read both pipes while waiting, so that the timeout holds however the program behaves.
        let stdoutData = PipeReader(out), stderrData = PipeReader(err)
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)s")
        }
        let output = Output(
            status: process.terminationStatus, stdout: String(decoding: stdoutData.wait(), as: UTF8.self),
            stderr: String(decoding: stderrData.wait(), as: UTF8.self))
        // Foundation does not close a pipe's descriptors when the pipe goes away: without this,
        // the test process held two more for every program run, and Foundation's Process.run
        // crashed once there were some 1,300 (its readers are done with them by now).
        for handle in [out.fileHandleForReading, err.fileHandleForReading, input.fileHandleForReading] {
            try? handle.close()
        }
        return output
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class PipeReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ pipe: Pipe) {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        /// Everything read, once the pipe has ended (every writer closed it).
        func wait() -> Data {
            done.wait()
            return data
        }
    }

    /// `run`, requiring exit status 0; returns stdout.
    static func output(of executable: String, _ arguments: [String], directory: String? = nil) throws -> String {
        let result = try run(executable, arguments, directory: directory)
        guard result.status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }
}
