/// Version 4 (random) UUIDs as lowercase text, e.g. `3f2b8c1e-9a4d-4e7f-b2c1-0d9e8f7a6b5c`.
///
/// Foundation's `UUID()` opens and reads `/dev/urandom` on Linux each time (three system calls
/// per invocation id); the system generator makes one `getrandom` call.
public enum RandomUUID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(high: generator.next(), low: generator.next())
    }

    /// The UUID whose 128 bits are `high` then `low`, with the version and variant bits set (RFC 9562 §5.4).
    static func make(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000  // version 4 in bits 48–51
        let low = (low & ~(0xC << 60)) | (0x8 << 60)  // variant 10xx
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, word) in [high, low].enumerated() {
            for nibble in 0 ..< 16 {
                let position = index * 16 + nibble
                if position == 8 || position == 12 || position == 16 || position == 20 { text.append(UInt8(ascii: "-")) }
                text.append(hex[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
