import Foundation
import Glibc

/// Why Flint ended a handler before it ended by itself.
enum StopReason: Equatable {
    case timeout
    case outputTooLarge
    case cancelled
    /// The supervision itself failed (poll, wait4); the process group was killed.
    case supervisionFailed(SystemError)
}

/// How a supervised process ended, and what it wrote.
struct Supervision {
    /// The wait status from wait4, or nil when the process could not be reaped.
    var waitStatus: CInt?
    /// CPU times; its `ru_maxrss` is not the handler's peak RSS (see `PeakMemorySampler`).
    var usage: rusage
    var peakRSSBytes: Int64
    /// CLOCK_MONOTONIC, in nanoseconds, when the process was seen to exit.
    var exitedAt: Int64
    var endedAt: Date
    var stopReason: StopReason?
    var output: Data
    var log: Data
}

/// Limits the supervisor enforces.
struct SupervisionLimits {
    /// CLOCK_MONOTONIC nanoseconds after which the process group gets SIGTERM.
    var deadline: Int64
    /// Nanoseconds between SIGTERM and SIGKILL.
    var killGrace: Int64
    var outputLimit: Int
}
