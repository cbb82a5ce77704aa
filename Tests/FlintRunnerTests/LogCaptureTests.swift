import Foundation
import Glibc
import Testing

@testable import FlintRunner

/// A follower of one running invocation gets every line of it, those read before it came
/// included, each once. The log is read from a real pipe, as a runner reads a handler's stderr.
@Suite struct LogCaptureTests {
    /// A non-blocking pipe whose read end a `LogCapture` reads, as the runners' pipes are.
    final class LogPipe {
        let readEnd: CInt
        let writeEnd: CInt

        init() throws {
            var ends: [CInt] = [-1, -1]
            guard pipe(&ends) == 0 else { throw SystemError("pipe", errno: errno) }
            (readEnd, writeEnd) = (ends[0], ends[1])
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        }

        /// Writes `text`, then has `capture` read all of it.
        func pass(_ text: String, to capture: LogCapture) throws {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) } == bytes.count)
            var read = 0
            while read < bytes.count, let count = try capture.read(from: readEnd) { read += count }
            #expect(read == bytes.count)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }
    }

    /// The texts of `subscription`'s next `count` events, which must all be lines.
    static func lines(_ count: Int, of subscription: LogSubscription) async -> [String] {
        var texts: [String] = []
        while texts.count < count, case .line(let line)? = await nextEvent(subscription) { texts.append(line.text) }
        return texts
    }

    @Test func invocationFollower_arrivingMidRun_getsTheLinesReadBefore_thenTheRest_eachOnce() async throws {
        let hub = LogHub()
        let pipe = try LogPipe()
        hub.begin(invocation: "i", function: "f")
        let capture = LogCapture(capacity: 64 * 1024)
        capture.follow(invocation: "i", function: "f", hub: hub)
        // Read while nobody follows: a whole line, and the start of one.
        try pipe.pass("first\nsecond, begun ", to: capture)

        let follower = hub.subscribe(function: "f", invocation: "i")
        try pipe.pass("and ended\nthird\n", to: capture)
        #expect(await Self.lines(3, of: follower) == ["first", "second, begun and ended", "third"])

        // One who comes after, while it still runs, gets the same lines from the start.
        let later = hub.subscribe(function: "f", invocation: "i")
        try pipe.pass("last, unfinished", to: capture)
        #expect(capture.finish() == Data("first\nsecond, begun and ended\nthird\nlast, unfinished".utf8))
        #expect(await Self.lines(4, of: later) == ["first", "second, begun and ended", "third", "last, unfinished"])
        #expect(await Self.lines(1, of: follower) == ["last, unfinished"])

        // Its log has ended, but the hub has not heard yet: a newcomer still gets all of it.
        let afterTheLog = hub.subscribe(function: "f", invocation: "i")
        hub.end(invocation: "i")
        #expect(await Self.lines(4, of: afterTheLog) == ["first", "second, begun and ended", "third", "last, unfinished"])
        for subscription in [follower, later, afterTheLog] {
            #expect(await nextEvent(subscription) == .invocationEnded("i"))
        }
    }

    @Test func followerOfTheFunction_stillStartsAtTheNextLine() async throws {
        let hub = LogHub()
        let pipe = try LogPipe()
        hub.begin(invocation: "i", function: "f")
        let capture = LogCapture(capacity: 64 * 1024)
        capture.follow(invocation: "i", function: "f", hub: hub)
        try pipe.pass("before\nunder way ", to: capture)
        let follower = hub.subscribe(function: "f")
        try pipe.pass("when it came\nafter\n", to: capture)
        #expect(await Self.lines(1, of: follower) == ["after"])
        _ = capture.finish()
    }

    @Test func waitingFollower_getsWhatAWarmInstanceWroteBeforeTheInvocationBegan() async throws {
        let hub = LogHub()
        let pipe = try LogPipe()
        let follower = hub.subscribe(function: "f", invocation: "i")
        // Bytes read before the invocation begins count as its own, as a Lambda instance's do.
        let capture = LogCapture(capacity: 64 * 1024)
        try pipe.pass("starting up\nloading ", to: capture)
        hub.begin(invocation: "i", function: "f")
        capture.follow(invocation: "i", function: "f", hub: hub)
        try pipe.pass("done\n", to: capture)
        #expect(await Self.lines(2, of: follower) == ["starting up", "loading done"])
        _ = capture.finish()
    }

    /// A delivery retried to the same warm instance follows the same invocation again: its
    /// followers get nothing twice.
    @Test func followingTheSameInvocationAgain_repeatsNothing() async throws {
        let hub = LogHub()
        let pipe = try LogPipe()
        let follower = hub.subscribe(function: "f", invocation: "i")
        hub.begin(invocation: "i", function: "f")
        let capture = LogCapture(capacity: 64 * 1024)
        capture.follow(invocation: "i", function: "f", hub: hub)
        try pipe.pass("once\n", to: capture)
        capture.follow(invocation: "i", function: "f", hub: hub)
        try pipe.pass("then\n", to: capture)
        #expect(await Self.lines(2, of: follower) == ["once", "then"])
        _ = capture.finish()
    }
}
