public import Foundation

/// UUIDs in the version 7 layout (RFC 9562 §5.7), as lowercase text: 48 bits of milliseconds
/// since the epoch, then random bits.
///
/// They look like any UUID to clients (Lambda request ids, SQS message ids) but grow with time,
/// so the unique indexes on them — the ledger's invocation ids, the bus's message ids — are
/// appended to instead of written at random pages. With random ids, a ledger of two million
/// invocations cost a page read from disk for nearly every insert.
public enum TimeOrderedUUID {
    public static func make(at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        return make(millis: millis, randomA: generator.next(), randomB: generator.next())
    }

    /// `millis` in the first 48 bits, the version (7) and variant (10) bits, then as many random
    /// bits as fit from `randomA` (12) and `randomB` (62).
    static func make(millis: UInt64, randomA: UInt64, randomB: UInt64) -> String {
        let high = (millis & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (randomA & 0x0FFF)
        let low = (randomB & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return text(high: high, low: low)
    }

    /// The 128 bits `high` then `low` as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    static func text(high: UInt64, low: UInt64) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (half, word) in [high, low].enumerated() {
            for index in 0 ..< 8 {
                let byte = half * 8 + index
                if byte == 4 || byte == 6 || byte == 8 || byte == 10 { text.append(UInt8(ascii: "-")) }
                HexDigits.append(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * index)), to: &text)
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
