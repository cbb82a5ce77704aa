public import Foundation

/// MD5 (RFC 1321), for SQS's `md5OfBody` and S3's `eTag`: a checksum clients compare, never a security measure.
/// Written out here because Foundation on Linux has no digest and it is the only one Flint needs.
public enum MD5 {
    /// The 16-byte digest of `data`.
    public static func digest(_ data: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Hasher()
        Array(data).withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// A digest computed piece by piece, for content too large to hold at once (a bucket
    /// object's `eTag` is the MD5 of the whole file).
    public struct Hasher: Sendable {
        private var state: (a: UInt32, b: UInt32, c: UInt32, d: UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        /// Bytes not yet compressed: less than one 64-byte block.
        private var pending: [UInt8] = []
        private var byteCount: UInt64 = 0

        public init() {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            byteCount &+= UInt64(bytes.count)
            var offset = 0
            if !pending.isEmpty {
                let taken = min(64 - pending.count, bytes.count)
                pending.append(contentsOf: bytes[0 ..< taken])
                offset = taken
                guard pending.count == 64 else { return }
                pending.withUnsafeBytes { compressBlock($0, at: 0) }
                pending.removeAll(keepingCapacity: true)
            }
            while bytes.count - offset >= 64 {
                compressBlock(bytes, at: offset)
                offset += 64
            }
            if offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
        }

        /// The digest; the hasher is spent afterwards.
        public mutating func finalize() -> [UInt8] {
            let bitLength = byteCount &* 8
            // Padding: a 1 bit, zeros up to 56 bytes mod 64, then the length in bits, little-endian.
            var tail: [UInt8] = [0x80]
            tail.append(contentsOf: repeatElement(0, count: (64 + 56 - (pending.count + 1) % 64) % 64))
            for shift in stride(from: 0, to: 64, by: 8) {
                tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
            }
            let length = byteCount
            tail.withUnsafeBytes { update($0) }
            byteCount = length
            var digest: [UInt8] = []
            digest.reserveCapacity(16)
            for word in [state.a, state.b, state.c, state.d] {
                for shift in stride(from: 0, to: 32, by: 8) {
                    digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
                }
            }
            return digest
        }

        private mutating func compressBlock(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
            var words = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                         UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
            withUnsafeMutableBytes(of: &words) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + 64]))
            }
            state = withUnsafeBytes(of: &words) { raw in
                MD5.compress(state, raw.bindMemory(to: UInt32.self).map { UInt32(littleEndian: $0) })
            }
        }
    }

    /// `hex` of a digest's bytes.
    public static func hex(digest: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(2 * digest.count)
        for byte in digest { HexDigits.append(byte, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The digest of `data` as 32 lower-case hex digits, as `md5OfBody` and `ETag`s write it.
    public static func hex(_ data: Data) -> String {
        hex(digest: digest(data))
    }

    /// The four rounds over one 64-byte block, as 16 little-endian words.
    private static func compress(
        _ state: (a: UInt32, b: UInt32, c: UInt32, d: UInt32), _ words: [UInt32]
    ) -> (a: UInt32, b: UInt32, c: UInt32, d: UInt32) {
        var (a, b, c, d) = state
        for step in 0 ..< 64 {
            let mixed: UInt32
            let wordIndex: Int
            switch step {
            case 0 ..< 16:
                mixed = (b & c) | (~b & d)
                wordIndex = step
            case 16 ..< 32:
                mixed = (d & b) | (~d & c)
                wordIndex = (5 * step + 1) % 16
            case 32 ..< 48:
                mixed = b ^ c ^ d
                wordIndex = (3 * step + 5) % 16
            default:
                mixed = c ^ (b | ~d)
                wordIndex = (7 * step) % 16
            }
            let sum = a &+ mixed &+ sines[step] &+ words[wordIndex]
            (a, d, c) = (d, c, b)
            b = b &+ rotateLeft(sum, by: shifts[step])
        }
        return (state.a &+ a, state.b &+ b, state.c &+ c, state.d &+ d)
    }

    private static func rotateLeft(_ value: UInt32, by count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }

    /// Per-step rotation amounts (RFC 1321 §3.4).
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// `floor(abs(sin(i + 1)) * 2^32)` for each step: the table T of RFC 1321, written out so no
    /// platform's `sin` can change it.
    private static let sines: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
        0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be, 0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
        0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
        0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c, 0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
        0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
        0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1, 0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]
}
