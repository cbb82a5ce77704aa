import FlintCore
import Foundation

/// An invocation handed to an instance, from the moment it is accepted until it is answered.
struct LambdaInvocation {
    let request: InvocationRequest
    let continuation: CheckedContinuation<InstanceOutcome, Never>
    let startedAt: Date
    /// True for the instance's first invocation (which waited for it to start).
    let isColdStart: Bool
    /// CLOCK_MONOTONIC nanoseconds when the runtime received the event, once it has.
    var deliveredAt: Int64?
    /// The instance's CPU times when it received the event.
    var cpuAtDelivery: InstanceCPU.Times?

    /// The record and result of how it ended.
    func result(
        function: FunctionManifest, outcome: InvocationOutcome, message: String?, output: Data, log: Data,
        initDurationMicros: Int64?, peakRSSBytes: Int64, cpu: InstanceCPU.Times = .zero, termination: Termination? = nil,
        now: Int64 = Sys.monotonicNanoseconds()
    ) -> InvocationResult {
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source,
            attempt: request.attempt, startedAt: startedAt, endedAt: Date(),
            durationMicros: deliveredAt.map { function.recordedDurationMicros(measured: max(0, now - $0) / 1000, outcome: outcome) } ?? 0,
            memoryLimitMB: function.memoryMB, peakRSSBytes: peakRSSBytes, userCPUMicros: cpu.userMicros, systemCPUMicros: cpu.systemMicros,
            exitCode: termination?.exitCode, signal: termination?.signal, coldStart: isColdStart,
            outcome: outcome, errorMessage: message, initDurationMicros: isColdStart ? initDurationMicros : nil
        )
        return InvocationResult(record: record, output: output, log: log)
    }

    /// What an error report over the body limit says: its type header, if any, and that the
    /// report itself was dropped.
    static func describeOversizedError(errorType header: String?, limit: Int) -> String {
        let dropped = "the runtime's error report exceeded the \(limit)-byte limit and was dropped"
        return header.map { "\($0): \(dropped)" } ?? dropped
    }
}
