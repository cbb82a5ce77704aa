import FlintCore
@testable import FlintDispatch
import Foundation
import Logging
import Synchronization
import Testing

/// An executor whose invocations hold their slot until the test opens the gate; it counts how
/// many run at once. It exercises the dispatcher's admission logic; the runner has its own tests.
final class GatedExecutor: InvocationExecutor {
    private struct State {
        var running = 0
        var peak = 0
        var started = 0
        var gate: [CheckedContinuation<Void, Never>] = []
        var open = false
    }
    private let state = Mutex(State())

    var peak: Int { state.withLock { $0.peak } }
    var started: Int { state.withLock { $0.started } }

    func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.gate.removeAll() }
            return state.gate
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until `count` invocations have started, polling the counter with a deadline.
    func waitUntilStarted(_ count: Int, within seconds: Double = 10) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while started < count {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            await Task.yield()
        }
    }

    func execute(_ request: InvocationRequest, function: FunctionManifest) async -> InvocationResult {
        state.withLock {
            $0.running += 1
            $0.started += 1
            $0.peak = max($0.peak, $0.running)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isOpen = state.withLock { state -> Bool in
                if !state.open { state.gate.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
        state.withLock { $0.running -= 1 }
        let now = Date()
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source, attempt: request.attempt,
            startedAt: now, endedAt: now, durationMicros: 1, memoryLimitMB: function.memoryMB, peakRSSBytes: 0,
            userCPUMicros: 0, systemCPUMicros: 0, exitCode: 0, signal: nil, coldStart: true, outcome: .ok, errorMessage: nil
        )
        return InvocationResult(record: record, output: request.payload, log: Data())
    }
}

final class CountingRecorder: InvocationRecorder {
    private let ids = Mutex<[String]>([])
    var recorded: [String] { ids.withLock { $0 } }
    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage], handoff: SlotHandoff?,
        committed: (@Sendable ([Lease], Date) -> Void)?
    ) {
        ids.withLock { $0.append(result.record.id) }
        committed?([], Date())
    }
}

/// Keeps the `committed` callback of the one invocation it records, for the test to call.
final class HeldCommitRecorder: InvocationRecorder {
    private let held = Mutex<(@Sendable ([Lease], Date) -> Void)?>(nil)
    var committed: (@Sendable ([Lease], Date) -> Void)? { held.withLock { $0 } }

    func record(
        _ result: InvocationResult, settlements: [Settlement], publications: [OutgoingMessage], handoff: SlotHandoff?,
        committed: (@Sendable ([Lease], Date) -> Void)?
    ) {
        held.withLock { $0 = committed }
    }
}

@Suite struct DispatcherTests {
    static func function(_ name: String, concurrency: Int) -> FunctionManifest {
        FunctionManifest(name: name, directory: "/tmp", command: ["cat"], concurrency: concurrency)
    }

    /// One invocation of `f` (concurrency 1) in a slot taken from the bus, which may hand the slot
    /// on as `wanted` says, giving back what it cannot run to `giveBack`. Returns once the
    /// invocation is recorded, with the `committed` callback its record got, for the test to call
    /// as the ledger writer would.
    private static func invocationHandingOn(
        wanted: Bool, giveBack: @escaping @Sendable ([Lease], Date) -> Void
    ) async throws -> (dispatcher: Dispatcher, executor: GatedExecutor, committed: @Sendable ([Lease], Date) -> Void) {
        let executor = GatedExecutor()
        executor.open()
        let recorder = HeldCommitRecorder()
        let dispatcher = Dispatcher(functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: recorder, logger: Logger(label: "test"))
        #expect(dispatcher.tryAcquireSlots("f", upTo: 1) == 1)
        let handoff = SlotHandoff(
            claim: NextClaim(subscription: "s", function: "f", leaseFor: .seconds(60), wanted: { wanted }),
            next: { leases in
                SlotInvocation(
                    request: InvocationRequest(function: "f", source: .queue, payload: Data(leases.first?.message.body.utf8 ?? "".utf8)),
                    handoff: nil, settle: { _, _ in ([], []) })
            },
            giveBack: giveBack
        )
        _ = dispatcher.startHoldingSlot(
            SlotInvocation(request: InvocationRequest(function: "f", source: .queue, payload: Data()), handoff: handoff) { _, _ in ([], []) })
        let deadline = ContinuousClock.now + .seconds(10)
        while recorder.committed == nil, ContinuousClock.now < deadline { await Task.yield() }
        return (dispatcher, executor, try #require(recorder.committed, "the invocation was not recorded"))
    }

    /// The next delivery a slot's settling commit claimed, as the ledger writer would hand it over.
    private static func claimedLease(attempt: Int = 1) -> Lease {
        let message = BusMessage(rowID: 1, messageID: "m1", topic: "t", body: "next", publishedAt: Date())
        return Lease(token: LeaseToken(deliveryID: 1, epoch: 1), attempt: attempt, firstReceivedAt: Date(), message: message)
    }

    /// A slot taken before the drain began, started after it: nothing runs, and the slot and the
    /// deliveries are left to the caller (the consumer's pass, a publisher) to give back.
    @Test func startingInAHeldSlotAfterTheDrainBegan_startsNothing() async throws {
        let executor = GatedExecutor()
        executor.open()
        let dispatcher = Dispatcher(
            functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: CountingRecorder(), logger: Logger(label: "test"))
        #expect(dispatcher.tryAcquireSlots("f", upTo: 1) == 1)
        await dispatcher.drain()
        let started = dispatcher.startHoldingSlot(
            SlotInvocation(request: InvocationRequest(function: "f", source: .queue, payload: Data()), handoff: nil) { _, _ in ([], []) })
        #expect(!started)
        #expect(executor.started == 0)
    }

    /// A slot whose settling commit claimed the next delivery after the drain began (and found
    /// nothing in flight) must not start it: the lease goes back to the bus, and the slot too.
    @Test func aSlotHandedOnAfterTheDrainBegan_givesTheLeaseBack_andRunsNothingMore() async throws {
        let givenBack = Mutex<[Lease]>([])
        let (dispatcher, executor, committed) = try await Self.invocationHandingOn(wanted: true) { leases, _ in
            givenBack.withLock { $0 += leases }
        }
        await dispatcher.drain()  // the invocation left once recorded: nothing is in flight

        let lease = Self.claimedLease()
        committed([lease], Date())
        #expect(givenBack.withLock { $0 } == [lease])
        #expect(executor.started == 1, "the handed-on invocation ran after the drain")
        #expect(dispatcher.running("f") == 0, "the slot was not given back")
    }

    /// A claim made while the slot could go on, but no longer wanted once committed (the consumer
    /// paused meanwhile: the daemon is stopping), is given back, with its claim's time.
    @Test func aSlotWhoseHandOffIsNoLongerWanted_givesTheLeaseBack_andIsReleased() async throws {
        let givenBack = Mutex<[Date]>([])
        let (dispatcher, executor, committed) = try await Self.invocationHandingOn(wanted: false) { _, claimedAt in
            givenBack.withLock { $0.append(claimedAt) }
        }

        let claimedAt = Date(timeIntervalSince1970: 1_750_000_000)
        committed([Self.claimedLease(attempt: 2)], claimedAt)
        #expect(givenBack.withLock { $0 } == [claimedAt])
        #expect(executor.started == 1)
        #expect(dispatcher.running("f") == 0, "the slot was not given back")
        #expect(dispatcher.tryAcquireSlots("f", upTo: 1) == 1, "the slot is free again")
    }

    @Test func invoke_neverExceedsTheFunctionsConcurrency() async throws {
        let executor = GatedExecutor()
        let recorder = CountingRecorder()
        let dispatcher = Dispatcher(functions: [Self.function("f", concurrency: 3)], executor: executor, recorder: recorder, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0 ..< 20 {
                group.addTask { _ = try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data())) }
            }
            try await executor.waitUntilStarted(3)
            #expect(dispatcher.running("f") == 3)
            executor.open()
            try await group.waitForAll()
        }
        #expect(executor.peak == 3)
        #expect(recorder.recorded.count == 20)
    }

    @Test func invoke_beyondTheQueueIsRefusedAsOverloaded() async throws {
        let executor = GatedExecutor()
        let dispatcher = Dispatcher(
            functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: CountingRecorder(),
            settings: .init(queueCapacityPerFunction: 1), logger: Logger(label: "test"))
        let first = Task { try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data())) }
        try await executor.waitUntilStarted(1)
        let queued = Task { try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data())) }
        let deadline = ContinuousClock.now + .seconds(10)
        while dispatcher.waiting("f") < 1 {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            await Task.yield()
        }
        var refused: DispatchError?
        do {
            let extra = try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data()))
            Issue.record("an invocation beyond the queue ran: \(extra.record.id)")
        } catch {
            refused = error
        }
        #expect(refused?.isOverloaded == true)
        executor.open()
        _ = try await first.value
        _ = try await queued.value
    }

    @Test func invoke_neverExceedsTheHostConcurrency_acrossFunctions() async throws {
        let executor = GatedExecutor()
        let dispatcher = Dispatcher(
            functions: [Self.function("f", concurrency: 3), Self.function("g", concurrency: 3)], executor: executor,
            recorder: CountingRecorder(), settings: .init(hostConcurrency: 2), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0 ..< 12 {
                group.addTask { _ = try await dispatcher.invoke(InvocationRequest(function: index.isMultiple(of: 2) ? "f" : "g", source: .cli, payload: Data())) }
            }
            try await executor.waitUntilStarted(2)
            #expect(dispatcher.running == 2)
            // Each function holds its own slots while it waits for the host's.
            #expect(dispatcher.waitingForHost >= 1)
            // Work from the bus takes no host slot while callers wait for one.
            #expect(dispatcher.tryAcquireSlots("f", upTo: 1) == 0)
            executor.open()
            try await group.waitForAll()
        }
        #expect(executor.peak == 2)
        #expect(dispatcher.running == 0)
        #expect(dispatcher.tryAcquireSlots("g", upTo: 5) == 2)
        dispatcher.releaseSlots("g", count: 2)
    }

    /// What `flint_waiting_invocations` shows: callers of a function waiting to run, whether for
    /// a slot of its own or, admitted by it, for a host-wide one.
    @Test func waitingToRun_countsCallersWaitingForTheFunctionOrTheHost() async throws {
        let executor = GatedExecutor()
        let dispatcher = Dispatcher(
            functions: [Self.function("f", concurrency: 8), Self.function("g", concurrency: 1)], executor: executor,
            recorder: CountingRecorder(), settings: .init(hostConcurrency: 3), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for function in ["f", "f", "f", "f", "f"] {
                group.addTask { _ = try await dispatcher.invoke(InvocationRequest(function: function, source: .cli, payload: Data())) }
            }
            try await executor.waitUntilStarted(3)
            try await Self.eventually { dispatcher.waitingToRun("f") == 2 }
            #expect(dispatcher.waiting("f") == 0, "admitted by f: its wait is the host's")
            #expect(dispatcher.waitingToRun("g") == 0)
            executor.open()
            try await group.waitForAll()
        }
        #expect(dispatcher.waitingToRun("f") == 0)
    }

    /// Polls `condition` for up to 5 s.
    static func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// A dispatcher of `f` (concurrency 1, host 4) whose one invocation is held by the executor.
    static func dispatcherRunningOneInvocationOfF() async throws -> (GatedExecutor, Dispatcher, Task<InvocationResult, any Error>) {
        let executor = GatedExecutor()
        let old = Dispatcher(
            functions: [function("f", concurrency: 1)], executor: executor, recorder: CountingRecorder(),
            settings: .init(hostConcurrency: 4), logger: Logger(label: "test"))
        let running = Task { try await old.invoke(InvocationRequest(function: "f", source: .cli, payload: Data())) }
        try await executor.waitUntilStarted(1)
        return (executor, old, running)
    }

    @Test func replacingDispatcher_countsTheInvocationsTheOldOneStillRuns() async throws {
        let (executor, old, running) = try await Self.dispatcherRunningOneInvocationOfF()

        let replacement = Dispatcher(
            functions: [Self.function("f", concurrency: 1), Self.function("g", concurrency: 2)], executor: executor,
            recorder: CountingRecorder(), settings: .init(hostConcurrency: 4), logger: Logger(label: "test"), replacing: old)
        #expect(replacement.running("f") == 1)
        #expect(replacement.tryAcquireSlots("f", upTo: 1) == 0, "f's one slot is held by the old dispatcher's invocation")
        #expect(replacement.tryAcquireSlots("g", upTo: 5) == 2)
        #expect(replacement.running == 3)
        replacement.releaseSlots("g", count: 2)

        executor.open()
        _ = try await running.value
        #expect(replacement.tryAcquireSlots("f", upTo: 1) == 1)
        replacement.releaseSlots("f", count: 1)
    }

    @Test func replacingDispatcher_withAChangedConcurrency_stillCountsTheOldOnesInvocations() async throws {
        let (executor, old, running) = try await Self.dispatcherRunningOneInvocationOfF()

        let resized = Dispatcher(
            functions: [Self.function("f", concurrency: 2)], executor: executor, recorder: CountingRecorder(),
            settings: .init(hostConcurrency: 4), logger: Logger(label: "test"), replacing: old)
        #expect(resized.running("f") == 1)
        #expect(resized.tryAcquireSlots("f", upTo: 5) == 1, "one of f's two slots is held by the old dispatcher's invocation")
        #expect(old.tryAcquireSlots("f", upTo: 5) == 0, "a replaced dispatcher takes no more work from the bus")

        executor.open()
        _ = try await running.value
        #expect(resized.tryAcquireSlots("f", upTo: 5) == 1)
        resized.releaseSlots("f", count: 2)
        #expect(resized.tryAcquireSlots("f", upTo: 5) == 2)
        resized.releaseSlots("f", count: 2)
    }

    @Test func invokeReachingAReplacedDispatcherAfterItsDrain_runsOnItsSuccessor() async throws {
        let executor = GatedExecutor()
        executor.open()
        let old = Dispatcher(functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: CountingRecorder(), logger: Logger(label: "test"))
        let recorder = CountingRecorder()
        // The replacement registers itself as the old dispatcher's successor, which keeps it.
        _ = Dispatcher(
            functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: recorder, logger: Logger(label: "test"),
            replacing: old)
        await old.drain()
        // A request routed by the old configuration just before the reload still runs.
        let result = try await old.invoke(InvocationRequest(function: "f", source: .cli, payload: Data("late".utf8)))
        #expect(result.output == Data("late".utf8))
        #expect(recorder.recorded == [result.record.id])
        // Without a successor, a drained dispatcher refuses.
        let alone = Dispatcher(functions: [Self.function("f", concurrency: 1)], executor: executor, recorder: CountingRecorder(), logger: Logger(label: "test"))
        await alone.drain()
        await #expect(throws: DispatchError.shuttingDown) {
            try await alone.invoke(InvocationRequest(function: "f", source: .cli, payload: Data()))
        }
    }

    @Test func invoke_unknownFunctionThrows() async {
        let dispatcher = Dispatcher(functions: [], executor: GatedExecutor(), recorder: CountingRecorder(), logger: Logger(label: "test"))
        await #expect(throws: DispatchError.unknownFunction("nope")) {
            try await dispatcher.invoke(InvocationRequest(function: "nope", source: .cli, payload: Data()))
        }
    }

    @Test func drain_waitsForInFlightThenRefusesNewWork() async throws {
        let executor = GatedExecutor()
        let dispatcher = Dispatcher(functions: [Self.function("f", concurrency: 2)], executor: executor, recorder: CountingRecorder(), logger: Logger(label: "test"))
        let inFlight = Task { try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data("x".utf8))) }
        try await executor.waitUntilStarted(1)
        let drained = Task { await dispatcher.drain() }
        executor.open()
        await drained.value
        #expect(try await inFlight.value.output == Data("x".utf8))
        await #expect(throws: DispatchError.shuttingDown) {
            try await dispatcher.invoke(InvocationRequest(function: "f", source: .cli, payload: Data()))
        }
    }

    /// The capacity observer is called on every bus invocation. A closure kept directly in a
    /// `Mutex` gained a layer of reabstraction thunks per call, until calling it overflowed the
    /// stack (after ~70,000 invocations in the daemon); 200,000 calls would crash here.
    @Test func capacityObserver_staysCheapOverManyCalls() {
        let dispatcher = Dispatcher(
            functions: [Self.function("f", concurrency: 1)], executor: GatedExecutor(), recorder: CountingRecorder(),
            logger: Logger(label: "test"))
        let calls = Mutex(0)
        dispatcher.observeCapacity { _ in calls.withLock { $0 += 1 } }
        for _ in 0 ..< 200_000 {
            #expect(dispatcher.tryAcquireSlots("f", upTo: 1) == 1)
            dispatcher.releaseSlots("f", count: 1)
        }
        #expect(calls.withLock { $0 } == 200_000)
    }
}
