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
public struct ScheduleSource: Sendable {
    public struct Schedule: Sendable, Hashable {
        public var trigger: String
        public var rule: ScheduleTrigger.Rule
        public init(trigger: String, rule: ScheduleTrigger.Rule) {
            self.trigger = trigger
            self.rule = rule
        }
    }

    let schedules: [Schedule]
    let sink: any ScheduleSink
    let logger: Logger

    public init(schedules: [Schedule], sink: any ScheduleSink, logger: Logger) {
        self.schedules = schedules
        self.sink = sink
        self.logger = logger
    }

    /// Runs until cancelled.
    public func run() async {
        guard !schedules.isEmpty else { return }
        var last: [String: Date] = [:]
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
                        try sink.fire(schedule.trigger, at: missed)
                        last[schedule.trigger] = missed
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
            let upcoming = schedules.compactMap { schedule -> (Schedule, Date)? in
                let after = max(last[schedule.trigger] ?? Date(), Date().addingTimeInterval(-1))
                return schedule.rule.nextTick(after: after).map { (schedule, $0) }
            }
            guard let next = upcoming.map(\.1).min() else { return }
            let wait = next.timeIntervalSinceNow
            if wait > 0 {
                do {
                    try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
                } catch {
                    return
                }
            }
            for (schedule, tick) in upcoming where tick <= Date() {
                do {
                    try sink.fire(schedule.trigger, at: tick)
                } catch {
                    logger.error(
                        "schedule \(schedule.trigger): could not publish the tick of \(tick): \(error)",
                        metadata: ["flint.trigger": "\(schedule.trigger)"]
                    )
                }
                last[schedule.trigger] = tick
            }
        }
    }
}
