import Foundation

/// Runs the `flint` executable built beside the tests.
enum FlintBinary {
    /// The built binary: next to the test bundle, as SwiftPM lays out a build directory.
    static let path: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flint").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("flint").path,
            Bundle.main.bundleURL.appendingPathComponent("flint").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    typealias Output = Subprocess.Output

    /// Runs `flint ARGS` to completion (bounded by `timeout`) and returns what it printed.
    static func run(
        _ arguments: [String], directory: String? = nil, stdin: Data? = nil, environment: [String: String] = [:], timeout: Double = 60
    ) throws -> Output {
        try Subprocess.run(path, arguments, directory: directory, stdin: stdin, environment: environment, timeout: timeout)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
