import Foundation
import Testing

/// Concurrency limits as the handlers themselves see them: each handler marks itself running in a
/// shared directory, counts the marks, and records the count before it ends. Each runs for half a
/// second, so that handlers admitted together overlap even on a busy machine.
@Suite(.serialized) struct ConcurrencyTests {
    /// A function whose handler records how many handlers (of any function sharing `running`)
    /// were running when it started.
    private func addCountingFunction(_ name: String, to project: TestProject, running: String, seen: String, concurrency: Int) throws {
        try project.addScriptFunction(name, script: """
            touch "$RUNNING/$$"
            ls "$RUNNING" | wc -l >> "$SEEN"
            sleep 0.5
            rm "$RUNNING/$$"
            echo done
            """, manifest: "concurrency: \(concurrency)\nenv:\n  RUNNING: \(running)\n  SEEN: \(seen)\n")
    }

    /// A directory every handler may write to, whatever user it runs as.
    private func sharedDirectory(_ project: TestProject, _ name: String) throws -> String {
        let path = project.root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        return path
    }

    private func counts(_ path: String) throws -> [Int] {
        try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }

    private func callConcurrently(_ daemon: RunningDaemon, paths: [String]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for path in paths {
                group.addTask { try await daemon.request("POST", path, body: Data("{}".utf8)).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func functionConcurrency_isNeverExceeded() async throws {
        let project = try TestProject()
        let running = try sharedDirectory(project, "running")
        let seen = try sharedDirectory(project, "seen") + "/counts"
        try addCountingFunction("slow", to: project, running: running, seen: seen, concurrency: 2)
        try project.addRoute("slow", function: "slow", method: "POST", path: "/slow")
        let daemon = try RunningDaemon(project)

        let statuses = try await callConcurrently(daemon, paths: Array(repeating: "/slow", count: 8))
        #expect(statuses == Array(repeating: 200, count: 8))
        let observed = try counts(seen)
        #expect(observed.count == 8)
        #expect(observed.max() == 2, "handlers saw \(observed) running at once; the function allows 2")
    }

    @Test func hostConcurrency_capsAllFunctionsTogether() async throws {
        let project = try TestProject()
        try project.appendToConfig("concurrency: 3\n")
        let running = try sharedDirectory(project, "running")
        let seen = try sharedDirectory(project, "seen") + "/counts"
        try addCountingFunction("left", to: project, running: running, seen: seen, concurrency: 3)
        try addCountingFunction("right", to: project, running: running, seen: seen, concurrency: 3)
        try project.addRoute("left", function: "left", method: "POST", path: "/left")
        try project.addRoute("right", function: "right", method: "POST", path: "/right")
        let daemon = try RunningDaemon(project)
        let statuses = try await callConcurrently(daemon, paths: (0 ..< 12).map { $0.isMultiple(of: 2) ? "/left" : "/right" })
        #expect(statuses == Array(repeating: 200, count: 12))
        let (status, announced) = try daemon.stop()
        #expect(status == 0)
        let observed = try counts(seen)
        #expect(observed.count == 12)
        #expect(observed.max() == 3, "handlers saw \(observed) running at once; flint.yaml allows 3 in all")
        #expect(announced.contains("at most 3 handler process(es) at once across all functions (concurrency in flint.yaml)"))
    }
}
