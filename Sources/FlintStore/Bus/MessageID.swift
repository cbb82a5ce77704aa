internal import Foundation

/// Message ids: UUIDs in the version 7 layout — 48 bits of milliseconds since the epoch, then
/// random bits — so ids look like any UUID to clients (SQS messageIds are UUIDs) but grow with
/// time, and the unique index on them is appended to instead of written at random pages, which
/// keeps publishing fast as the table grows.
enum MessageID {
    static func make(at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        for index in 0 ..< 6 {
            bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 4122 variant
        let hex = bytes.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
        let characters = Array(hex)
        let groups = [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }

    /// The same layout as SQL, for the column's default (plain INSERTs by other programs).
    static let defaultSQL = """
        lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' \
        || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' \
        || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) \
        || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
        """
}
