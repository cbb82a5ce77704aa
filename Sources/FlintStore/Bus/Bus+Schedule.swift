public import FlintCore
public import Foundation
internal import GRDB

extension Bus {
    /// The last tick a schedule trigger published, if it ever did.
    public func lastTick(trigger: String) throws(BusError) -> Date? {
        try scheduleMark(trigger: trigger)?.tick
    }

    /// The last tick a schedule trigger published (or the start marked), and the rule it was
    /// recorded under (nil for a tick recorded before rules were: migration `v7-schedule-rules`).
    public func scheduleMark(trigger: String) throws(BusError) -> (tick: Date, rule: String?)? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT last_tick_at_us, rule FROM schedule_ticks WHERE trigger = ?", arguments: [trigger])
                .map { row in (EpochMicros.date(row[0]), row[1]) }
        }
    }

    /// Forgets the ticks of every schedule but `triggers` (those removed from the project): one
    /// added again later starts from then, as a new one does.
    public func forgetSchedules(except triggers: [String]) throws(BusError) {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM schedule_ticks" + (triggers.isEmpty ? "" : " WHERE trigger NOT IN (\(databaseQuestionMarks(count: triggers.count)))"),
                arguments: StatementArguments(triggers)
            )
        }
    }

    /// Publishes the event of one tick and records the tick, in one transaction: a crash between
    /// the two can neither lose the tick nor fire it twice. A tick no later than the last one
    /// recorded is not published again (two schedule sources overlap for a moment during a
    /// reload); returns whether it was published.
    @discardableResult
    public func publishTick(trigger: String, at tick: Date, message: OutgoingMessage, now: Date = Date()) throws(BusError) -> Bool {
        try database.write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT last_tick_at_us FROM schedule_ticks WHERE trigger = ?", arguments: [trigger])
            if let last, last >= EpochMicros.from(tick) { return false }
            _ = try Self.insert([message], at: now, in: db)
            try db.execute(
                sql: """
                    INSERT INTO schedule_ticks (trigger, last_tick_at_us) VALUES (?, ?)
                    ON CONFLICT(trigger) DO UPDATE SET last_tick_at_us = excluded.last_tick_at_us
                    """,
                arguments: [trigger, EpochMicros.from(tick)]
            )
            return true
        }
    }
}

extension Bus {
    /// Records `tick` as a schedule's last without publishing: the starting point of a schedule
    /// seen for the first time, so ticks before it never count as missed. With `replacing`, it
    /// replaces what was recorded (its rule changed, or the clock went back past its last tick).
    public func markTick(trigger: String, at tick: Date, rule: String? = nil, replacing: Bool = false) throws(BusError) {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO schedule_ticks (trigger, last_tick_at_us, rule) VALUES (?, ?, ?) ON CONFLICT(trigger) "
                    + (replacing ? "DO UPDATE SET last_tick_at_us = excluded.last_tick_at_us, rule = excluded.rule" : "DO NOTHING"),
                arguments: [trigger, EpochMicros.from(tick), rule]
            )
        }
    }
}
