internal import Foundation
internal import Synchronization

/// Lets a warning that a flood would repeat (every refused connection, every request while the
/// disk is full) into the log at most once per `interval` seconds.
final class WarningThrottle: Sendable {
    private let interval: Int64
    /// Seconds of uptime at the last warning let through.
    private let last = Atomic(Int64.min)

    init(interval seconds: Int64) {
        interval = seconds
    }

    /// Whether to log the warning now; true for at most one caller per interval.
    func allows() -> Bool {
        let now = Int64(ProcessInfo.processInfo.systemUptime)
        let previous = last.load(ordering: .relaxed)
        return (previous == .min || now - previous >= interval)
            && last.compareExchange(expected: previous, desired: now, ordering: .relaxed).exchanged
    }
}
