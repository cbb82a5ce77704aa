import FlintCore

/// An invocation's outcome and, for a failure, its one-line reason.
struct Verdict: Equatable {
    var outcome: InvocationOutcome
    var message: String?

    /// Decides how an exec invocation ended.
    ///
    /// A reason Flint had to stop the handler (timeout, output too large, cancellation) wins over how
    /// the process then ended. Otherwise exit status 0 is `ok`, and a failure is `oom` when the peak
    /// RSS reached 90% of the memory limit: the limit is RLIMIT_DATA, so running out of it shows as
    /// a failed allocation (an exit status, or SIGSEGV/SIGABRT) rather than as a signal of its own.
    /// This rlimit-based rule stands until cgroup `memory.events` (oom_kill) is read.
    ///
    /// The peak must be the handler's own, never wait4's raw `ru_maxrss`, which can be the daemon's
    /// (see `PeakMemorySampler`). It is exact or a lower bound, so the rule errs towards `error`: it
    /// can miss an OOM that happens in a child process or within milliseconds of the handler's
    /// exit, but cannot turn a plain failure into `oom` because the daemon is large.
    static func of(
        termination: Termination?, stopReason: StopReason?, usage: ResourceUsage,
        memoryLimitBytes: Int, timeout: Duration, outputLimit: Int
    ) -> Verdict {
        switch stopReason {
        case .timeout:
            return Verdict(outcome: .timeout, message: "killed after \(timeout.shortDescription) timeout")
        case .outputTooLarge:
            return Verdict(outcome: .outputTooLarge, message: "output exceeded the \(outputLimit)-byte limit")
        case .cancelled:
            return Verdict(outcome: .killed, message: "killed: invocation cancelled")
        case .supervisionFailed(let error):
            return Verdict(outcome: .error, message: "flint: \(error)")
        case nil:
            break
        }
        guard let termination else {
            return Verdict(outcome: .error, message: "flint: the handler's exit status is unknown")
        }
        if termination.isSuccess {
            return Verdict(outcome: .ok, message: nil)
        }
        if memoryLimitBytes > 0, usage.peakRSSBytes >= Int64(memoryLimitBytes) * 9 / 10 {
            let peakMiB = usage.peakRSSBytes / (1024 * 1024)
            let limitMiB = memoryLimitBytes / (1024 * 1024)
            return Verdict(
                outcome: .oom, message: "out of memory: peak RSS \(peakMiB) MiB of \(limitMiB) MiB (\(termination))"
            )
        }
        return Verdict(outcome: .error, message: termination.description)
    }
}
