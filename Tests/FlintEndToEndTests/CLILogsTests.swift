import Foundation
import Testing

/// `flint logs` through the real binary: how lines are cut, what a follower of one invocation
/// prints, and how a slow reader is told of the lines it lost.
@Suite struct CLILogsTests {
    /// The TEXT of each `TIME  ID  TEXT` line of `id`.
    static func texts(_ stdout: String, of id: String) -> [Substring] {
        stdout.split(separator: "\n").compactMap { line in
            line.range(of: "  \(id)  ").map { line[$0.upperBound...] }
        }
    }

    /// The length of each piece `id` printed, when every piece is made of `a`s alone.
    static func pieceSizes(_ stdout: String, of id: String) -> [Int]? {
        let texts = texts(stdout, of: id)
        return texts.allSatisfy { $0.allSatisfy { $0 == "a" } } ? texts.map(\.utf8.count) : nil
    }

    @Test func longLine_isShownIn16KiBPieces_storedAndFollowed() async throws {
        let project = try TestProject()
        // One write(2) of a 40,000-byte line, which Flint reads in one piece.
        try project.addScriptFunction(
            "long", script: "cat > /dev/null\npython3 -c 'import os; os.write(2, b\"a\" * 40000 + b\"\\n\")'\necho '{}'\n")
        let daemon = try RunningDaemon(project)
        let follower = try BackgroundFlint(["logs", "long", "-f", "--project", project.root])
        try await follower.waitUntil("the follower to subscribe") { _, stderr in stderr.contains("following long") }

        let invoked = try FlintBinary.run(["invoke", "long", "--async", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        let id = invoked.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sizes = [16_384, 16_384, 40_000 - 2 * 16_384]
        try await follower.waitUntil("the line's last piece") { stdout, _ in Self.texts(stdout, of: id).count >= 3 }
        #expect(Self.pieceSizes(follower.stdout, of: id) == sizes)

        // Stored once the invocation has ended: the same pieces.
        let stored = try await eventually("the invocation's stored log") { () -> String? in
            let listed = try FlintBinary.run(["logs", "long", "--project", project.root], timeout: 20)
            return listed.stdout.contains(id) ? listed.stdout : nil
        }
        #expect(Self.pieceSizes(stored, of: id) == sizes)
        let ended = try FlintBinary.run(["logs", "long", "--invocation", id, "-f", "--project", project.root], timeout: 20)
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(Self.pieceSizes(ended.stdout, of: id) == sizes)
        _ = daemon
    }
}
