public import FlintCore
public import Foundation
public import Logging

/// Where a schedule's ticks go, and where it remembers the last one (the bus, in one transaction).
public protocol ScheduleSink: Sendable {
    /// The last tick fired (or the starting point marked) for `trigger`, and the rule (`Rule.text`)
    /// it was recorded under, when that is known.
    func lastTick(of trigger: String) throws -> (tick: Date, rule: String?)?
    /// Remembers `tick` as the starting point of `trigger` under `rule`, replacing what was
    /// remembered: a schedule seen for the first time, or starting again.
    func start(_ trigger: String, at tick: Date, rule: String) throws
    /// Forgets every schedule but `triggers` (those removed from the project).
    func forget(except triggers: [String]) throws
    /// Publishes the event of `tick` and remembers it as the last.
    func fire(_ trigger: String, at tick: Date) throws
}

/// Fires schedule triggers at their ticks (UTC). At start-up, a schedule whose latest tick passed
/// while Flint was down fires once for it, not once per missed tick. Sleeps until the next tick
/// of any schedule; with no schedules, it has nothing to wait for.
///
/// A schedule starts from now, with nothing missed, when it is new, when its rule changed since
/// its last tick, and when that tick lies ahead of the clock (the clock went back: waiting for it
/// would silence the schedule for as long).
///
/// A tick that cannot be published (the database locked past its busy timeout, say) is tried
/// again after `retryDelay`, doubling up to a minute, until one is: ticks that came due meanwhile
/// count as one missed tick, the latest, as while Flint is down. The sink records each tick with
/// its event, so a retry never publishes one twice.
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

    /// How far ahead of the clock a recorded tick may be before the clock is taken to have gone back.
    static let clockTolerance: TimeInterval = 60

    /// Where each schedule stands: its last tick, and the ticks waiting to be published.
    private struct Progress {
        var last: [String: Date] = [:]
        var retries: [String: Retry] = [:]
    }

    /// Runs until cancelled.
    public func run() async {
        do {
            try sink.forget(except: schedules.map(\.trigger))
        } catch {
            logger.error("could not forget the ticks of schedules no longer in the project: \(error)")
        }
        guard !schedules.isEmpty else { return }
        var progress = startingPoints(now: Date())
        while !Task.isCancelled {
            restartSchedulesAheadOfTheClock(&progress)
            // Each schedule's next try: a tick to try again, or its next tick, fired when it comes.
            let upcoming = schedules.compactMap { schedule -> (schedule: Schedule, tick: Date, at: Date)? in
                if let retry = progress.retries[schedule.trigger] {
                    // Ticks that came due while it failed are one missed tick, as while Flint is down: the latest.
                    let latest = schedule.rule.latestTick(atOrBefore: Date()).map { max($0, retry.tick) } ?? retry.tick
                    return (schedule, latest, retry.at)
                }
                let after = max(progress.last[schedule.trigger] ?? Date(), Date().addingTimeInterval(-1))
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
                publish(schedule, tick, &progress)
            }
        }
    }

    /// Each schedule's last tick at start-up, and the tick that passed while Flint was down (if
    /// one did), to publish at once.
    private func startingPoints(now: Date) -> Progress {
        var progress = Progress()
        for schedule in schedules {
            do {
                if let mark = try sink.lastTick(of: schedule.trigger) {
                    // Recorded before: from its last tick, unless it starts again from now.
                    guard let previous = try continued(schedule, from: mark, now: now) else {
                        progress.last[schedule.trigger] = now
                        continue
                    }
                    progress.last[schedule.trigger] = previous
                    if let missed = schedule.rule.latestTick(atOrBefore: now), missed > previous {
                        logger.info(
                            "schedule \(schedule.trigger): a tick passed while Flint was down; firing it once now",
                            metadata: ["flint.trigger": "\(schedule.trigger)"]
                        )
                        progress.retries[schedule.trigger] = Retry(tick: missed, at: now, delay: retryDelay)
                    }
                } else {
                    try sink.start(schedule.trigger, at: now, rule: schedule.rule.text)
                    progress.last[schedule.trigger] = now
                }
            } catch {
                logger.error("schedule \(schedule.trigger): \(error)", metadata: ["flint.trigger": "\(schedule.trigger)"])
                progress.last[schedule.trigger] = now
            }
        }
        return progress
    }

    /// A last tick well ahead of the clock means the clock went back: waiting for it would
    /// silence the schedule as long, so it starts again from now.
    private func restartSchedulesAheadOfTheClock(_ progress: inout Progress) {
        for schedule in schedules where progress.retries[schedule.trigger] == nil {
            guard let previous = progress.last[schedule.trigger], previous.timeIntervalSinceNow > Self.clockTolerance else { continue }
            logger.warning(
                "schedule \(schedule.trigger): its last tick (\(previous)) is ahead of the clock, which went back; starting from now",
                metadata: ["flint.trigger": "\(schedule.trigger)"]
            )
            let now = Date()
            progress.last[schedule.trigger] = now
            do {
                try sink.start(schedule.trigger, at: now, rule: schedule.rule.text)
            } catch {
                logger.error("schedule \(schedule.trigger): \(error)", metadata: ["flint.trigger": "\(schedule.trigger)"])
            }
        }
    }

    /// Publishes `tick`, or schedules another try of it after a growing delay.
    private func publish(_ schedule: Schedule, _ tick: Date, _ progress: inout Progress) {
        do {
            try sink.fire(schedule.trigger, at: tick)
            progress.last[schedule.trigger] = tick
            progress.retries[schedule.trigger] = nil
        } catch {
            let delay = progress.retries[schedule.trigger]?.delay ?? retryDelay
            progress.retries[schedule.trigger] = Retry(
                tick: tick, at: Date().addingTimeInterval(delay.timeInterval), delay: min(delay * 2, Self.longestRetryDelay))
            logger.error(
                "schedule \(schedule.trigger): could not publish the tick of \(tick): \(error); trying again in \(DurationText.format(delay))",
                metadata: ["flint.trigger": "\(schedule.trigger)"]
            )
        }
    }

    /// Where a schedule recorded before goes on from: its last tick; nil when its rule changed
    /// since, so it starts from now instead, which this records. (A last tick ahead of the clock is
    /// `restartSchedulesAheadOfTheClock`'s, at start-up as later.)
    private func continued(_ schedule: Schedule, from mark: (tick: Date, rule: String?), now: Date) throws -> Date? {
        let rule = schedule.rule.text
        guard let recorded = mark.rule, recorded != rule else {
            // Ticks recorded before rules were are taken as of this rule.
            if mark.rule == nil { try sink.start(schedule.trigger, at: mark.tick, rule: rule) }
            return mark.tick
        }
        logger.info(
            "schedule \(schedule.trigger): its rule changed (from \(recorded) to \(rule)); starting from now",
            metadata: ["flint.trigger": "\(schedule.trigger)"]
        )
        try sink.start(schedule.trigger, at: now, rule: rule)
        return nil
    }
}
