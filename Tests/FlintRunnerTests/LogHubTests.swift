import FlintCore
import FlintRunner
import Foundation
import Testing

@Suite struct LogHubTests {
    func texts(_ events: [HandlerLogEvent]) -> [String] {
        events.compactMap { if case .line(let line) = $0 { line.text } else { nil } }
    }

    @Test func publish_fansOutToEveryFollowerOfTheFunctionOrInvocation() async {
        let hub = LogHub()
        let all = hub.subscribe(function: "echo")
        let alsoAll = hub.subscribe(function: "echo")
        let one = hub.subscribe(function: "echo", invocation: "b")
        let other = hub.subscribe(function: "other")
        hub.publish(function: "echo", invocation: "a", text: "from a")
        hub.publish(function: "echo", invocation: "b", text: "from b")
        hub.publish(function: "other", invocation: "c", text: "from c")

        for subscription in [all, alsoAll] {
            let first = await nextEvent(subscription)
            let second = await nextEvent(subscription)
            #expect(texts([first, second].compactMap { $0 }) == ["from a", "from b"])
        }
        guard case .line(let line)? = await nextEvent(one) else {
            Issue.record("the follower of invocation b got no line")
            return
        }
        #expect(line.invocation == "b" && line.function == "echo" && line.text == "from b")
        #expect(texts([await nextEvent(other)].compactMap { $0 }) == ["from c"])
    }

    @Test func slowFollower_losesLinesAndIsToldHowMany_neverHoldingUpThePublisher() async throws {
        let hub = LogHub(bufferLimit: 10 * 100)
        let slow = hub.subscribe(function: "talk")
        let reading = hub.subscribe(function: "talk")
        // This follower reads all along; whatever it cannot keep up with is counted, never lost silently.
        let reader = Task { () -> Int in
            var accounted = 0
            while accounted < 1000, let event = await reading.next() {
                switch event {
                case .line: accounted += 1
                case .dropped(let count): accounted += count
                default: return -1
                }
            }
            return accounted
        }
        // Publishing never waits for a reader: on a thread of its own, it finishes although the
        // slow follower reads nothing.
        let published = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread {
                for index in 0 ..< 1000 {
                    hub.publish(function: "talk", invocation: "i", text: String(format: "line %04d", index) + String(repeating: ".", count: 27))
                }
                continuation.resume(returning: true)
            }.start()
        }
        #expect(published)
        #expect(await reader.value == 1000)

        var kept: [String] = []
        var dropped = 0
        while let event = await nextEvent(slow) {
            switch event {
            case .line(let line): kept.append(line.text)
            case .dropped(let count): dropped += count
            default: Issue.record("unexpected \(event)")
            }
            if dropped > 0 { break }
        }
        // Each line costs its text, its id and 64 bytes: 1,000 bytes hold 9 of them.
        #expect(kept.count == 9)
        #expect(kept.first?.hasPrefix("line 0000") == true)
        #expect(dropped == 1000 - kept.count)

        // Once it has caught up, it gets new lines again, after the gap.
        hub.publish(function: "talk", invocation: "i", text: "after the gap")
        #expect(texts([await nextEvent(slow)].compactMap { $0 }) == ["after the gap"])
    }

    @Test func droppedCount_comesWhereTheGapIs() async {
        let hub = LogHub(bufferLimit: 2 * 70)
        let follower = hub.subscribe(function: "f")
        for text in ["1", "2", "3", "4"] { hub.publish(function: "f", invocation: "i", text: text) }
        #expect(texts([await nextEvent(follower)].compactMap { $0 }) == ["1"])
        hub.publish(function: "f", invocation: "i", text: "5")
        var events: [HandlerLogEvent] = []
        for _ in 0 ..< 3 { if let event = await nextEvent(follower) { events.append(event) } }
        #expect(events.count == 3)
        #expect(texts([events[0]]) == ["2"])
        #expect(events[1] == .dropped(2))
        #expect(texts([events[2]]) == ["5"])
    }

    @Test func invocationFollower_endsWhenItEnds_andTheHubKnowsWhatRuns() async {
        let hub = LogHub()
        let early = hub.subscribe(function: "f", invocation: "x")
        #expect(hub.runningFunction(of: "x") == nil)
        hub.begin(invocation: "x", function: "f")
        let late = hub.subscribe(function: "f", invocation: "x")
        #expect(hub.runningFunction(of: "x") == "f")
        hub.publish(function: "f", invocation: "x", text: "working")
        hub.publish(function: "f", invocation: "y", text: "not mine")
        hub.end(invocation: "x")
        for subscription in [early, late] {
            #expect(texts([await nextEvent(subscription)].compactMap { $0 }) == ["working"])
            #expect(await nextEvent(subscription) == .invocationEnded("x"))
            #expect(await subscription.next() == nil)
        }
        #expect(hub.runningFunction(of: "x") == nil)
    }

    @Test func close_endsEveryFollower_andLaterOnesAtOnce() async {
        let hub = LogHub()
        let follower = hub.subscribe(function: "f")
        let waiting = Task { await follower.next() }
        hub.close()
        #expect(await waiting.value == .stopped)
        #expect(await follower.next() == nil)
        let late = hub.subscribe(function: "f")
        #expect(await late.next() == .stopped)
        #expect(!hub.isFollowed("f"))
    }

    @Test func cancellingAWaitingReader_endsItsSubscription() async {
        let hub = LogHub()
        let follower = hub.subscribe(function: "f")
        #expect(hub.isFollowed("f"))
        let waiting = Task { await follower.next() }
        waiting.cancel()
        #expect(await waiting.value == nil)
        #expect(!hub.isFollowed("f"))
        hub.publish(function: "f", invocation: "i", text: "nobody reads this")
        #expect(await follower.next() == nil)
    }

    @Test func releasedSubscription_stopsCounting() {
        let hub = LogHub()
        do {
            let follower = hub.subscribe(function: "f")
            #expect(hub.isFollowed("f") && !hub.isFollowed("g"))
            _ = follower
        }
        #expect(!hub.isFollowed("f"))
    }

    @Test func concurrentPublishersAndFollowers_accountForEveryLine() async {
        let hub = LogHub(bufferLimit: 64 * 1024)
        let followers = (0 ..< 3).map { _ in hub.subscribe(function: "busy") }
        let readers = followers.map { follower in
            Task { () -> Int in
                var accounted = 0
                while accounted < 4 * 500, let event = await follower.next() {
                    switch event {
                    case .line: accounted += 1
                    case .dropped(let count): accounted += count
                    default: return -1
                    }
                }
                return accounted
            }
        }
        // Followers come and go while four threads publish.
        let churn = Task {
            for _ in 0 ..< 200 {
                let passing = hub.subscribe(function: "busy")
                _ = await nextEvent(passing, within: .milliseconds(1))
                passing.cancel()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for thread in 0 ..< 4 {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        Thread {
                            for index in 0 ..< 500 {
                                hub.publish(function: "busy", invocation: "t\(thread)", text: "line \(index)")
                            }
                            continuation.resume()
                        }.start()
                    }
                }
            }
        }
        await churn.value
        for reader in readers {
            #expect(await reader.value == 4 * 500)
        }
    }
}

