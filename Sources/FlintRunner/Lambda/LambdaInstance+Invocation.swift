import FlintCore
import Foundation
import Glibc
import NIOCore

extension LambdaInstance {
    /// Hands `request` to this instance and waits until the runtime has answered it, or the
    /// process has ended under it. Cancelling the calling task kills the process group.
    func invoke(_ request: InvocationRequest, isColdStart: Bool) async -> InstanceOutcome {
        let startedAt = Date()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<InstanceOutcome, Never>) in
                let invocation = LambdaInvocation(
                    request: request, continuation: continuation, startedAt: startedAt, isColdStart: isColdStart
                )
                eventLoop.execute { self.accept(invocation) }
            }
        } onCancel: {
            eventLoop.execute { self.cancel(request.id) }
        }
    }

    private func accept(_ invocation: LambdaInvocation) {
        becameBusy()
        if invocation.isColdStart {
            // Followed from now, not from its delivery: a cold start's init writes its log (and,
            // failing, all of it) before the runtime asks for the event. (A warm instance's is
            // followed once delivered: one that dies before then hands the invocation on.)
            follow(invocation)
            // A new instance's first invocation is final: answered with the start failure when the
            // instance has already ended (a listener or spawn that failed at once), never
            // `.unavailable`, which would start another instance that fails the same way, for ever.
            if phase == .exited {
                let exit = endedWith ?? .notStarted("the instance ended before taking the invocation")
                let (outcome, message, termination) = failure(exit, wasStarting: true, delivered: false)
                let result = invocation.result(
                    function: function, outcome: outcome, message: message, output: Data(), log: output.take(),
                    initDurationMicros: nil, peakRSSBytes: 0, termination: termination
                )
                invocation.continuation.resume(returning: .finished(result, reusable: false))
                return
            }
        } else if phase == .exited || stopReason != nil || self.invocation != nil {
            invocation.continuation.resume(returning: .unavailable)
            return
        }
        self.invocation = invocation
        deliverIfReady()
        if phase == .ready, self.invocation?.deliveredAt == nil {
            // A runtime that never asks again must not hold the invocation forever (a cold start's
            // wait is bounded by the init timer).
            let id = invocation.request.id
            deadlineTimer = eventLoop.scheduleTask(in: .nanoseconds(function.timeout.nanoseconds)) { self.pickupTimedOut(id) }
        }
    }

    /// From now on the instance's output is `invocation`'s log for followers (once per invocation).
    private func follow(_ invocation: LambdaInvocation) {
        if let hub = context.logHub { output.follow(invocation: invocation.request.id, function: function.name, hub: hub) }
    }

    private func pickupTimedOut(_ id: String) {
        guard let invocation, invocation.request.id == id, invocation.deliveredAt == nil, stopReason == nil else { return }
        stopReason = .pickupTimeout
        process.signalGroup(SIGKILL)
    }

    /// Answers the parked `/next` with the invocation, once there are both.
    func deliverIfReady() {
        guard phase == .ready, stopReason == nil, let handler = parked, var invocation, invocation.deliveredAt == nil else {
            return
        }
        parked = nil
        let now = Sys.monotonicNanoseconds()
        invocation.deliveredAt = now
        if memory == nil, let pid = process.pid {
            // Without a memory cgroup the reading is nil, and InstanceMemory keeps to VmHWM.
            memory = InstanceMemory(pid: pid, now: now, cgroupPeak: instanceIsolation.map { isolation in { isolation.peakMemoryBytes() } })
            cpu = InstanceCPU(pid: pid)
        }
        invocation.cpuAtDelivery = cpu?.read()
        self.invocation = invocation
        let timeout = function.timeout
        let deadline = Date().timeIntervalSince1970 + timeout.timeInterval
        let id = invocation.request.id
        follow(invocation)
        deadlineTimer?.cancel()
        let caller = invocation.request.caller
        let arn = context.functionARN(function.name)
        let written = handler.deliver(RuntimeAPIEvent(
            requestID: id, deadlineMillis: Int64((deadline * 1000).rounded(.down)),
            functionARN: caller?.qualifier.map { "\(arn):\($0)" } ?? arn, clientContext: caller?.clientContext,
            payload: ByteBuffer(bytes: invocation.request.payload)
        ))
        deadlineTimer = eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { self.deadlinePassed(id) }
        written.whenFailure { _ in self.deliveryFailed(id) }
    }

    /// The event `id` never reached the runtime: its connection was closing. The runtime asks
    /// again on a new connection, so the invocation waits for that `/next` (bounded by the pickup
    /// timeout) as if it had not been handed out, rather than running into its deadline.
    private func deliveryFailed(_ id: String) {
        guard phase == .ready, stopReason == nil, var invocation, invocation.request.id == id, invocation.deliveredAt != nil else {
            return
        }
        invocation.deliveredAt = nil
        invocation.cpuAtDelivery = nil
        self.invocation = invocation
        deadlineTimer?.cancel()
        deadlineTimer = eventLoop.scheduleTask(in: .nanoseconds(function.timeout.nanoseconds)) { self.pickupTimedOut(id) }
        deliverIfReady()
    }

    /// Answers the invocation the runtime reported on; the instance stays for the next one.
    func complete(_ outcome: InvocationOutcome, message: String?, output result: Data) {
        guard let invocation else { return }
        self.invocation = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        let reported = invocation.result(
            function: function, outcome: outcome, message: message, output: result, log: output.take(),
            initDurationMicros: initDurationMicros, peakRSSBytes: memory?.peakBytes(now: Sys.monotonicNanoseconds()) ?? 0,
            cpu: cpuUsed(since: invocation.cpuAtDelivery)
        )
        let reusable = phase == .ready && stopReason == nil
        if reusable { becameIdle() }
        invocation.continuation.resume(returning: .finished(reported, reusable: reusable))
    }

    /// What the instance used since `start`; zero when either end cannot be read.
    private func cpuUsed(since start: InstanceCPU.Times?) -> InstanceCPU.Times {
        guard let start, let now = cpu?.read() else { return .zero }
        return now - start
    }

    /// The invocation `id` ran past its timeout: SIGTERM to the group, SIGKILL after the grace
    /// period. It is answered (`timeout`) once the process has exited, so the next invocation gets
    /// a fresh instance.
    private func deadlinePassed(_ id: String) {
        guard invocation?.request.id == id, stopReason == nil else { return }
        stopReason = .timeout
        process.signalGroup(SIGTERM)
        let process = self.process
        killTimer = eventLoop.scheduleTask(in: .nanoseconds(context.settings.killGrace.nanoseconds)) {
            process.signalGroup(SIGKILL)
        }
    }

    private func cancel(_ id: String) {
        guard invocation?.request.id == id, stopReason == nil else { return }
        stopReason = .cancelled
        process.signalGroup(SIGKILL)
    }
}
