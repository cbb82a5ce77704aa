public import FlintCore
public import Foundation
public import Logging

/// Where a schedule's ticks go, and where it remembers the last one (the bus, in one transaction).
public protocol ScheduleSink: Sendable {
    /// The last tick fired (or the starting point marked) for `trigger`.
    func lastTick(of trigger: String) throws -> Date?
    /// Remembers `tick` as the starting point of a schedule seen for the first time.
    func markStart(of trigger: String, at tick: Date) throws
    /// Publishes the event of `tick` and remembers it as the last.
    func fire(_ trigger: String, at tick: Date) throws
}

/// Fires schedule triggers at their ticks (UTC). At start-up, a schedule whose latest tick passed
/// while Flint was down fires once for it, not once per missed tick. Sleeps until the next tick
/// of any schedule; with no schedules, it has nothing to wait for.
///
/// A tick that cannot be published (the database locked past its busy timeout, say) is tried
/// again after `retryDelay`, doubling up to a minute, until it is: it is late, never lost. The
/// sink records each tick with its event, so a retry never publishes it twice.
public struct ScheduleSource: Sendable {
    public struct Schedule: Sendable, Hashable {
        public var trigger: String
        public var rule: ScheduleTrigger.Rule
        public init(trigger: String, rule: ScheduleTrigger.Rule) {
            self.trigger = trigger
            self.rule = rule
        }
    }

    /// A tick that could not be published, and when to try it again.
    private struct Retry {
        var tick: Date
        var at: Date
        var delay: Duration
    }

    let schedules: [Schedule]
    let sink: any ScheduleSink
    let logger: Logger
    let retryDelay: Duration

    public init(schedules: [Schedule], sink: any ScheduleSink, logger: Logger, retryDelay: Duration = .seconds(1)) {
        self.schedules = schedules
        self.sink = sink
        self.logger = logger
        self.retryDelay = retryDelay
    }

    /// The longest wait between two tries of a tick.
    static let longestRetryDelay: Duration = .seconds(60)

    /// Runs until cancelled.
    public func run() async {
        guard !schedules.isEmpty else { return }
        var last: [String: Date] = [:]
        var retries: [String: Retry] = [:]
        let now = Date()
        for schedule in schedules {
            do {
                if let previous = try sink.lastTick(of: schedule.trigger) {
                    last[schedule.trigger] = previous
                    if let missed = schedule.rule.latestTick(atOrBefore: now), missed > previous {
                        logger.info(
                            "schedule \(schedule.trigger): a tick passed while Flint was down; firing it once now",
                            metadata: ["flint.trigger": "\(schedule.trigger)"]
                        )
                        retries[schedule.trigger] = Retry(tick: missed, at: now, delay: retryDelay)
                    }
                } else {
                    try sink.markStart(of: schedule.trigger, at: now)
                    last[schedule.trigger] = now
                }
            } catch {
                logger.error("schedule \(schedule.trigger): \(error)", metadata: ["flint.trigger": "\(schedule.trigger)"])
                last[schedule.trigger] = now
            }
        }
        while !Task.isCancelled {
            // Each schedule's next try: a tick to try again, or its next tick, fired when it comes.
            let upcoming = schedules.compactMap { schedule -> (schedule: Schedule, tick: Date, at: Date)? in
                if let retry = retries[schedule.trigger] { return (schedule, retry.tick, retry.at) }
                let after = max(last[schedule.trigger] ?? Date(), Date().addingTimeInterval(-1))
                return schedule.rule.nextTick(after: after).map { (schedule, $0, $0) }
            }
            guard let next = upcoming.map(\.at).min() else { return }
            let wait = next.timeIntervalSinceNow
            if wait > 0 {
                do {
                    try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
                } catch {
                    return
                }
            }
            for (schedule, tick, at) in upcoming where at <= Date() {
                do {
                    try sink.fire(schedule.trigger, at: tick)
                    last[schedule.trigger] = tick
                    retries[schedule.trigger] = nil
                } catch {
                    let delay = retries[schedule.trigger]?.delay ?? retryDelay
                    retries[schedule.trigger] = Retry(tick: tick, at: Date().addingTimeInterval(delay.timeInterval), delay: min(delay * 2, Self.longestRetryDelay))
                    logger.error(
                        "schedule \(schedule.trigger): could not publish the tick of \(tick): \(error); trying again in \(DurationText.format(delay))",
                        metadata: ["flint.trigger": "\(schedule.trigger)"]
                    )
                }
            }
        }
    }
}
