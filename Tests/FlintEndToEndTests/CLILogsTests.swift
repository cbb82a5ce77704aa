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

    /// No output at all would look the same as a function that never ran: it is said.
    @Test func storedLogsOfInvocationsThatWroteNothing_saySo() throws {
        let project = try TestProject()
        try project.addScriptFunction("quiet", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        let invoked = try FlintBinary.run(["invoke", "quiet", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        let listed = try FlintBinary.run(["logs", "quiet", "--limit", "3", "--project", project.root])
        #expect(listed.status == 0)
        #expect(listed.stdout.isEmpty)
        #expect(listed.stderr.contains("flint logs: nothing logged: quiet's last 3 invocations logged no lines"), "\(listed.stderr)")
        _ = daemon
    }

    /// What a handler logs is printed, never obeyed: control characters escaped, and a record's
    /// lines joined with \r (awslambdaric's tracebacks) printed as lines of their own.
    @Test func logs_printControlCharactersEscaped_andCarriageReturnsAsLineBreaks() throws {
        let project = try TestProject()
        try project.addScriptFunction("noisy", script: "cat > /dev/null\nprintf 'Traceback:\\r  File x\\rValueError \\033[31mred\\033]0;title\\007\\n' >&2\n")
        let daemon = try RunningDaemon(project)
        let invoked = try FlintBinary.run(["invoke", "noisy", "--log", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        #expect(invoked.stderr.contains("Traceback:\n  File x\nValueError \\u{1B}[31mred"), "\(invoked.stderr)")
        let listed = try FlintBinary.run(["logs", "noisy", "--project", project.root])
        #expect(listed.status == 0, "\(listed.stderr)")
        let texts = listed.stdout.split(separator: "\n").map { $0.split(separator: "  ", maxSplits: 2).last.map(String.init) ?? "" }
        #expect(texts == ["Traceback:", "  File x", #"ValueError \u{1B}[31mred\u{1B}]0;title\u{7}"#], "\(listed.stdout)")
        #expect(!listed.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x0D || $0.value == 0x07 })
        _ = daemon
    }

    /// A function removed from the project (and reloaded) keeps the logs its invocations left,
    /// as `flint invocations` keeps their records; a name that never ran is still a typo.
    @Test func storedLogsOfARemovedFunction_areStillShown() throws {
        let project = try TestProject()
        try project.addScriptFunction("gone", script: "echo said before removal >&2\ncat\n")
        try project.addScriptFunction("stays", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        #expect(try FlintBinary.run(["invoke", "gone", "--project", project.root]).status == 0)
        try FileManager.default.removeItem(atPath: project.root + "/functions/gone")
        let reloaded = try FlintBinary.run(["reload", "--project", project.root])
        #expect(reloaded.status == 0, "\(reloaded.stderr)")

        let stored = try FlintBinary.run(["logs", "gone", "--project", project.root])
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(stored.stdout.contains("said before removal"), "\(stored.stdout)")
        let followed = try FlintBinary.run(["logs", "gone", "-f", "--project", project.root])
        #expect(followed.status == 1)
        #expect(followed.stderr.contains("no function is named gone"), "\(followed.stderr)")
        let typo = try FlintBinary.run(["logs", "neverran", "--project", project.root])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("no function is named neverran, and the ledger has no invocation of one"), "\(typo.stderr)")
        _ = daemon
    }

    /// A lambda runtime's cold start logs before it asks for the event, and a failing one only
    /// then: a follower of the function sees those lines as they are written.
    @Test func followerOfALambdaFunction_seesWhatItsInitWrites_evenWhenInitFails() async throws {
        let project = try TestProject()
        try project.write("functions/badinit/function.yaml", "name: badinit\nruntime: lambda\ncommand: [\"./bootstrap.sh\"]\nretries: 0\n")
        try project.write("functions/badinit/bootstrap.sh", "#!/bin/sh\necho 'loading config' >&2\nsleep 0.3\necho 'FATAL: no config' >&2\nexit 3\n", executable: true)
        let daemon = try RunningDaemon(project)
        let follower = try BackgroundFlint(["logs", "badinit", "-f", "--project", project.root])
        try await follower.waitUntil("the follower to subscribe") { _, stderr in stderr.contains("following badinit") }

        let invoked = try FlintBinary.run(["invoke", "badinit", "--project", project.root])
        #expect(invoked.status == 1)
        #expect(invoked.stderr.contains("the function failed"), "\(invoked.stderr)")
        try await follower.waitUntil("both lines of the init") { stdout, _ in stdout.contains("loading config") && stdout.contains("FATAL: no config") }
        _ = daemon
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

    @Test func invocationFollower_printsTheLinesWrittenBeforeItCame_eachOnce() async throws {
        let project = try TestProject()
        let go = project.root + "/go"
        try project.addScriptFunction("lq", script: """
            cat > /dev/null
            echo "first $FLINT_INVOCATION_ID" >&2
            while [ ! -e '\(go)' ]; do sleep 0.01; done
            echo "second $FLINT_INVOCATION_ID" >&2
            echo '{}'

            """, manifest: "concurrency: 1\n")
        let daemon = try RunningDaemon(project)
        // Tells when the handler's first line has been read.
        let watcher = try BackgroundFlint(["logs", "lq", "-f", "--project", project.root])
        try await watcher.waitUntil("the watcher to subscribe") { _, stderr in stderr.contains("following lq") }

        // Asynchronous, the id `flint invoke --async` prints; then synchronous, the id from its first line.
        let queued = try FlintBinary.run(["invoke", "lq", "--async", "--project", project.root])
        #expect(queued.status == 0, "\(queued.stderr)")
        let asyncID = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await follow(asyncID, of: "lq", in: project, watcher: watcher, go: go)

        try FileManager.default.removeItem(atPath: go)
        let invoker = try BackgroundFlint(["invoke", "lq", "--project", project.root])
        try await watcher.waitUntil("the second invocation's first line") { stdout, _ in
            Self.firstLineIDs(stdout).count == 2
        }
        let syncID = try #require(Self.firstLineIDs(watcher.stdout).last)
        try await follow(syncID, of: "lq", in: project, watcher: watcher, go: go)
        try await invoker.waitForExit()
        #expect(invoker.status == 0, "\(invoker.stderr)")
        _ = daemon
    }

    /// The ids of the invocations whose `first ID` line a follower printed.
    static func firstLineIDs(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").compactMap { line in
            line.range(of: "  first ").map { String(line[$0.upperBound...]) }
        }
    }

    /// Once `id` has written its first line and waits for `go`, follows it alone, lets it end,
    /// and expects both of its lines, once each.
    private func follow(_ id: String, of function: String, in project: TestProject, watcher: BackgroundFlint, go: String) async throws {
        try await watcher.waitUntil("the first line of \(id)") { stdout, _ in stdout.contains("first \(id)") }
        let follower = try BackgroundFlint(["logs", function, "--invocation", id, "-f", "--project", project.root])
        try await follower.waitUntil("the invocation follower to subscribe") { _, stderr in stderr.contains("following invocation \(id)") }
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        try await follower.waitUntil("the last line of \(id)") { stdout, _ in stdout.contains("second \(id)") }
        try await follower.waitForExit()
        #expect(follower.status == 0, "\(follower.stderr)")
        #expect(Self.texts(follower.stdout, of: id) == ["first \(id)", "second \(id)"], "\(follower.stdout)")
    }

    /// The counts of the "left out" notices on a follower's stderr.
    static func leftOutCounts(_ stderr: String) -> [Int] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("flint logs: "), line.contains(" line(s) left out") else { return nil }
            return Int(line.dropFirst("flint logs: ".count).prefix { $0.isNumber })
        }
    }

    @Test func slowFollower_isToldOfLostLinesInAFewNotices_withExactCounts() async throws {
        let project = try TestProject()
        // More than the follower's pipe, socket buffers and queue in the daemon hold, then long
        // lines between short ones: once the queue is nearly full, each long one is lost and each
        // short one still fits, a gap after each.
        try project.addScriptFunction("lg", script: """
            cat > /dev/null
            long=$(head -c 16000 /dev/zero | tr '\\0' x)
            i=0
            while [ $i -lt 3000 ]; do echo "$long"; i=$((i + 1)); done >&2
            i=0
            while [ $i -lt 500 ]; do printf '%s\\nshort %d\\n' "$long" $i; i=$((i + 1)); done >&2
            echo '{}'

            """)
        let written = 3000 + 2 * 500
        let daemon = try RunningDaemon(project)
        let follower = try BackgroundFlint(["logs", "lg", "-f", "--project", project.root], holdingStdout: true)
        try await follower.waitUntil("the follower to subscribe") { _, stderr in stderr.contains("following lg") }
        let invoked = try FlintBinary.run(["invoke", "lg", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")

        // Every line written is either printed or counted as left out.
        let released = ContinuousClock.now
        follower.releaseStdout()
        try await follower.waitUntil("every line printed or counted", within: 60) { stdout, stderr in
            stdout.utf8.lazy.filter { $0 == UInt8(ascii: "\n") }.count + Self.leftOutCounts(stderr).reduce(0, +) == written
        }
        let took = released.duration(to: .now)
        let notices = Self.leftOutCounts(follower.stderr)
        #expect(!notices.isEmpty)
        // The first at once, then at most one a second, however many gaps there were.
        #expect(notices.count <= 2 + Int(took.components.seconds), "\(follower.stderr)")
        #expect(follower.stderr.contains("line(s) left out: handlers wrote faster than this reader took them; "))
        #expect(!follower.stderr.contains("terminal"))
        _ = daemon
    }
}
