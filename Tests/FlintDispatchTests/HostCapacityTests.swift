@testable import FlintDispatch
import Testing

@Suite struct HostCapacityTests {
    @Test func tryAcquire_grantsOnlyWhatIsFree() {
        let capacity = HostCapacity(limit: 3)
        #expect(capacity.tryAcquire(for: "a", upTo: 2) == 2)
        #expect(capacity.tryAcquire(for: "b", upTo: 5) == 1)
        #expect(capacity.tryAcquire(for: "b", upTo: 1) == 0)
        #expect(capacity.running == 3)
        #expect(capacity.running("a") == 2)
        capacity.release(for: "a")
        #expect(capacity.running("a") == 1)
        #expect(capacity.tryAcquire(for: "c", upTo: 4) == 1)
    }

    @Test func freedSlots_goToTheWaitingFunctionsInTurn() async throws {
        let capacity = HostCapacity(limit: 1)
        #expect(capacity.tryAcquire(for: "holder", upTo: 1) == 1)
        let admitted = Shared<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Five callers of a busy function queue first, then one of a quiet function.
            for caller in ["busy", "busy", "busy", "busy", "busy", "quiet"] {
                let queuedBefore = capacity.waiting
                group.addTask {
                    #expect(await capacity.acquire(for: caller))
                    admitted.update { $0.append(caller) }
                }
                try await waitUntil { capacity.waiting == queuedBefore + 1 }
            }
            // Each release admits one caller; the next release happens once it is in.
            var released = "holder"
            for count in 1 ... 6 {
                capacity.release(for: released)
                try await waitUntil { admitted.value.count == count }
                released = admitted.value[count - 1]
            }
            try await group.waitForAll()
        }
        // The quiet function's one caller is served second, not after the busy one's five.
        #expect(admitted.value == ["busy", "quiet", "busy", "busy", "busy", "busy"])
        #expect(capacity.running == 1)
    }

    @Test func tryAcquire_leavesFreeSlotsToWaitingCallers() async throws {
        let capacity = HostCapacity(limit: 1)
        #expect(capacity.tryAcquire(for: "bus", upTo: 1) == 1)
        let waiter = Task { await capacity.acquire(for: "http") }
        try await waitUntil { capacity.waiting == 1 }
        capacity.release(for: "bus")
        #expect(await waiter.value)
        #expect(capacity.tryAcquire(for: "bus", upTo: 1) == 0, "the slot went to the waiting caller")
        capacity.release(for: "http")
        #expect(capacity.tryAcquire(for: "bus", upTo: 1) == 1)
    }

    @Test func cancelledWaiter_leavesTheQueue() async throws {
        let capacity = HostCapacity(limit: 1)
        #expect(capacity.tryAcquire(for: "holder", upTo: 1) == 1)
        let waiter = Task { await capacity.acquire(for: "gone") }
        try await waitUntil { capacity.waiting == 1 }
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(capacity.waiting == 0)
        capacity.release(for: "holder")
        #expect(capacity.running == 0)
        #expect(capacity.tryAcquire(for: "next", upTo: 1) == 1)
    }

    /// A caller that goes away while it waits leaves both lines: the function's and the host's.
    @Test func waiterWhoseCallerGoes_leavesTheQueue_andAGoneCallerNeverQueues() async throws {
        let capacity = HostCapacity(limit: 1)
        let limiter = ConcurrencyLimiter(limit: 1, queueCapacity: 4)
        #expect(capacity.tryAcquire(for: "holder", upTo: 1) == 1)
        #expect(await limiter.acquire())
        let hostCaller = CallerPresence()
        let functionCaller = CallerPresence()
        let hostWaiter = Task { await capacity.acquire(for: "gone", caller: hostCaller) }
        let functionWaiter = Task { await limiter.acquire(caller: functionCaller) }
        try await waitUntil { capacity.waiting == 1 && limiter.waiting == 1 }
        hostCaller.markGone()
        functionCaller.markGone()
        #expect(await hostWaiter.value == false)
        #expect(await functionWaiter.value == false)
        #expect(capacity.waiting == 0)
        #expect(limiter.waiting == 0)
        // Already gone: refused without waiting.
        #expect(await capacity.acquire(for: "late", caller: hostCaller) == false)
        #expect(await limiter.acquire(caller: functionCaller) == false)
        capacity.release(for: "holder")
        limiter.release()
        #expect(capacity.running == 0)
        #expect(limiter.running == 0)
    }

    /// Polls `condition` until it holds, failing after `seconds`.
    private func waitUntil(within seconds: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            await Task.yield()
        }
    }
}

@Suite struct ConcurrencyLimiterHandOverTests {
    @Test func aReplacementWithAnotherLimit_countsTheOldHolders_untilTheyGiveTheirSlotsBack() {
        let old = ConcurrencyLimiter(limit: 8, queueCapacity: 4)
        #expect(old.tryAcquire(upTo: 8) == 8)
        let new = ConcurrencyLimiter(limit: 2, queueCapacity: 4)
        old.handOver(to: new)
        #expect(new.running == 8)
        #expect(new.tryAcquire(upTo: 2) == 0)  // 8 old ones still run: nothing more
        for _ in 0 ..< 6 { old.release() }
        #expect(new.tryAcquire(upTo: 2) == 0)  // 2 old ones left: the new limit
        old.release()
        #expect(new.tryAcquire(upTo: 2) == 1)
        old.release()
        #expect(new.tryAcquire(upTo: 2) == 1)
        #expect(new.running == 2)
        #expect(old.running == 0)
    }
}

