public import FlintCore
public import Foundation
internal import GRDB

extension Bus {
    /// The last tick a schedule trigger published, if it ever did.
    public func lastTick(trigger: String) throws(BusError) -> Date? {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_tick_at_us FROM schedule_ticks WHERE trigger = ?", arguments: [trigger])
                .map(EpochMicros.date)
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
    /// seen for the first time, so ticks before it never count as missed.
    public func markTick(trigger: String, at tick: Date) throws(BusError) {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO schedule_ticks (trigger, last_tick_at_us) VALUES (?, ?) ON CONFLICT(trigger) DO NOTHING",
                arguments: [trigger, EpochMicros.from(tick)]
            )
        }
    }
}
