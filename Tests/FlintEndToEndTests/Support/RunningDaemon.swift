import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `flint up` on a test project, as a real child process on 127.0.0.1 port 0.
final class RunningDaemon: @unchecked Sendable {
    let project: TestProject
    let process: Process
    let url: URL
    let token: String
    /// The daemon's work root, removed after the test even if the daemon had to be killed.
    let workRoot: String?
    private let output: Pipe
    private let errors: Pipe

    /// Starts the daemon and returns once `.flint/daemon.json` names its pid and port (a stale
    /// file from an earlier daemon does not count).
    ///
    /// - Parameter user: a user id to run the daemon as (through setpriv, which executes it in its
    ///   own place, so the pid stays the daemon's); nil: the tests' own.
    /// - Parameter descriptors: a limit on the daemon's open files (through prlimit, which also
    ///   executes it in its own place); nil: the tests' own.
    init(
        _ project: TestProject, extraArguments: [String] = [], environment: [String: String] = [:], user: uid_t? = nil,
        descriptors: Int? = nil
    ) throws {
        self.project = project
        process = Process()
        let arguments = ["up", "--project", project.root] + extraArguments
        if let descriptors {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(descriptors):\(descriptors)", "--", FlintBinary.path] + arguments
        } else if let user {
            process.executableURL = URL(fileURLWithPath: Self.setpriv)
            process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--", FlintBinary.path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: FlintBinary.path)
            process.arguments = arguments
        }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        output = Pipe()
        errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        let infoPath = project.dataDirectory + "/daemon.json"
        let deadline = Date().addingTimeInterval(30)
        var found: URL?
        while found == nil {
            if let data = FileManager.default.contents(atPath: infoPath),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                (object["pid"] as? NSNumber)?.int32Value == process.processIdentifier,
                let text = object["url"] as? String {
                found = URL(string: text)
            } else if !process.isRunning {
                let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw TestFailure("flint up exited with \(process.terminationStatus) before listening: \(stderr)")
            } else if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("flint up wrote no daemon.json within 30s")
            } else {
                usleep(10_000)  // the file appears once the listener is bound; there is no event to wait on
            }
        }
        guard let found else { throw TestFailure("unreachable") }
        url = found
        let info = FileManager.default.contents(atPath: infoPath).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        workRoot = info?["work_root"] as? String
        token = try String(contentsOfFile: project.dataDirectory + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the daemon as a user would (SIGTERM, so it cleans up), SIGKILL only if it hangs,
    /// then removes anything a killed daemon could not.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        if let workRoot, workRoot.hasPrefix("/dev/shm/flint-") || workRoot.hasPrefix(project.root) {
            try? FileManager.default.removeItem(atPath: workRoot)
        }
        // Foundation does not close them when the pipes go away (see `Subprocess.run`).
        try? output.fileHandleForReading.close()
        try? errors.fileHandleForReading.close()
    }

    /// util-linux's setpriv: runs a command under other credentials without a fork.
    static let setpriv = "/usr/bin/setpriv"

    /// Closes the reading end of the daemon's stdout, as `flint up | head` does once head is done.
    func closeStandardOutput() throws {
        try output.fileHandleForReading.close()
    }

    /// Sends `signal` and waits (bounded) for the exit status; also returns what it printed on stdout.
    func stop(signal: Int32 = SIGTERM, within seconds: Double = 30) throws -> (status: Int32, stdout: String) {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            guard Date() < deadline else { throw TestFailure("flint up did not exit within \(seconds)s of signal \(signal)") }
            usleep(10_000)
        }
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, stdout)
    }

    /// What the daemon wrote on stderr (its log); call once it has stopped.
    func standardErrorText() -> String {
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { throw TestFailure("not a JSON object: \(text)") }
            return object
        }
    }

    /// One HTTP request to the daemon.
    /// Returns once some handler process runs (`/v1/functions` counts one); fails after 10 s.
    func waitUntilAHandlerRuns(_ what: String) async throws {
        let deadline = Date().addingTimeInterval(10)
        while try await request("GET", "/v1/functions", authorized: true).text.contains("\"running\":0") {
            guard Date() < deadline else { throw TestFailure("\(what) never started") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:], authorized: Bool = false) async throws -> Reply {
        guard let target = URL(string: url.absoluteString + path) else { throw TestFailure("bad path \(path)") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if authorized { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("no HTTP response") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }
}
