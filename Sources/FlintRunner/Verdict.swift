import FlintCore

/// An invocation's outcome and, for a failure, its one-line reason.
struct Verdict: Equatable {
    var outcome: InvocationOutcome
    var message: String?

    /// How the memory limit was enforced, which decides what counts as running out of it.
    enum MemoryEnforcement: Equatable {
        /// RLIMIT_DATA: running out shows as a failed allocation.
        case rlimit
        /// The instance's cgroup: the kernel's OOM killer ended `oomKills` of its processes.
        case cgroup(oomKills: Int64)
    }

    /// Decides how an exec invocation ended.
    ///
    /// A reason Flint had to stop the handler (timeout, output too large, cancellation) wins over how
    /// the process then ended. Otherwise exit status 0 is `ok`. Under a memory cgroup, a failure is
    /// `oom` exactly when the OOM killer ended one of the instance's processes. Under RLIMIT_DATA, a
    /// failure is `oom` when the peak RSS reached 90% of the limit: running out of it shows as a
    /// failed allocation (an exit status, or SIGSEGV/SIGABRT) rather than as a signal of its own.
    ///
    /// The peak must be the handler's own, never wait4's raw `ru_maxrss`, which can be the daemon's
    /// (see `PeakMemorySampler`). It is exact or a lower bound, so the rule errs towards `error`: it
    /// can miss an OOM that happens in a child process or within milliseconds of the handler's
    /// exit, but cannot turn a plain failure into `oom` because the daemon is large.
    static func of(
        termination: Termination?, stopReason: StopReason?, usage: ResourceUsage,
        memoryLimitBytes: Int, timeout: Duration, outputLimit: Int, memory: MemoryEnforcement = .rlimit
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
        if case .cgroup(let oomKills) = memory {
            guard oomKills > 0 else { return Verdict(outcome: .error, message: termination.description) }
            let limitMiB = memoryLimitBytes / (1024 * 1024)
            return Verdict(
                outcome: .oom,
                message: "out of memory: the \(limitMiB) MiB limit was reached and the kernel killed the handler (\(termination)); raise memory in function.yaml or use less"
            )
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
