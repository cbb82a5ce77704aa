import FlintCore
import FlintRunner
import Foundation
import Logging
import Testing

@Suite struct ExecRunnerLogFollowTests {
    @Test func follower_getsEachLineWhileTheHandlerRuns_andTheUnfinishedLastOneAtExit() async throws {
        try await withFixture { fixture in
            let hub = LogHub()
            let runner = ExecRunner(workRoot: fixture.workRoot, logger: Logger(label: "flint.runner.tests"), logHub: hub)
            let go = fixture.root + "/go"
            let command = try fixture.script("talk.sh", """
                #!/bin/sh
                echo "started $FLINT_INVOCATION_ID" >&2
                while [ ! -e "$GO" ]; do sleep 0.01; done
                printf 'two\\r\\nlines\\n' >&2
                printf 'no newline' >&2
                echo '{}'
                """)
            let subscription = hub.subscribe(function: "test-function")
            let request = InvocationRequest(function: "test-function", source: .cli, payload: Data("{}".utf8))
            let manifest = fixture.manifest([command], environment: ["GO": go])
            let run = Task { await runner.run(request, function: manifest) }

            guard case .line(let first)? = await nextEvent(subscription) else {
                Issue.record("no line while the handler ran")
                return
            }
            // The handler is still waiting for the file: the line came live, not at its end.
            #expect(first.text == "started \(request.id)")
            #expect(first.invocation == request.id && first.function == "test-function")
            #expect(FileManager.default.createFile(atPath: go, contents: nil))

            var rest: [String] = []
            while rest.count < 3, case .line(let line)? = await nextEvent(subscription) { rest.append(line.text) }
            #expect(rest == ["two", "lines", "no newline"])
            let result = await run.value
            #expect(result.record.outcome == .ok)
            // The stored tail is unchanged by following.
            #expect(result.logText == "started \(request.id)\ntwo\r\nlines\nno newline")
        }
    }

    @Test func invocationFollower_arrivingWhileTheHandlerRuns_getsItsEarlierLinesToo() async throws {
        try await withFixture { fixture in
            let hub = LogHub()
            let runner = ExecRunner(workRoot: fixture.workRoot, logger: Logger(label: "flint.runner.tests"), logHub: hub)
            let go = fixture.root + "/go"
            let command = try fixture.script("talk.sh", """
                #!/bin/sh
                echo "first $FLINT_INVOCATION_ID" >&2
                while [ ! -e "$GO" ]; do sleep 0.01; done
                echo second >&2
                echo '{}'
                """)
            let request = InvocationRequest(function: "test-function", source: .cli, payload: Data("{}".utf8))
            let manifest = fixture.manifest([command], environment: ["GO": go])
            // What the daemon does for every invocation, around the runner.
            hub.begin(invocation: request.id, function: "test-function")
            let functionFollower = hub.subscribe(function: "test-function")
            let run = Task { await runner.run(request, function: manifest) }

            // Once the function's follower has the first line, the runner has read it.
            guard case .line(let first)? = await nextEvent(functionFollower) else {
                Issue.record("no line while the handler ran")
                return
            }
            #expect(first.text == "first \(request.id)")
            let follower = hub.subscribe(function: "test-function", invocation: request.id)
            #expect(FileManager.default.createFile(atPath: go, contents: nil))
            var texts: [String] = []
            while texts.count < 2, case .line(let line)? = await nextEvent(follower) { texts.append(line.text) }
            #expect(texts == ["first \(request.id)", "second"])
            #expect(await run.value.record.outcome == .ok)
            hub.end(invocation: request.id)
            #expect(await nextEvent(follower) == .invocationEnded(request.id))
        }
    }

    @Test func followerArrivingMidLine_getsOnlyWholeLinesAfterIt() async throws {
        let hub = LogHub()
        var splitter = LogLineSplitter(hub: hub, function: "f", invocation: "i")
        func feed(_ text: String) {
            Array(text.utf8).withUnsafeBytes { splitter.append($0) }
        }
        feed("nobody reads th")
        let subscription = hub.subscribe(function: "f")
        feed("is line\nfirst whole")
        feed(" line\n")
        feed(String(repeating: "x", count: LogLinePieces.maxBytes + 10))
        splitter.finish()
        var texts: [String] = []
        while texts.count < 3, case .line(let line)? = await nextEvent(subscription) { texts.append(line.text) }
        #expect(texts.count == 3)
        #expect(texts.first == "first whole line")
        #expect(texts.dropFirst().map(\.utf8.count) == [LogLinePieces.maxBytes, 10])
    }
}
