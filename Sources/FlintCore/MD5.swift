/// MD5 (RFC 1321), for SQS's `md5OfBody` and S3's `eTag`: a checksum clients compare, never a security measure.
/// Written out here because Foundation on Linux has no digest and it is the only one Flint needs.
public enum MD5 {
    /// The 16-byte digest of `data`.
    public static func digest(_ data: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Hasher()
        if data.withContiguousStorageIfAvailable({ hasher.update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(data).withUnsafeBytes { hasher.update($0) }
        }
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
            state = MD5.compress(state, bytes, at: offset)
        }
    }

    /// `hex` of a digest's bytes.
    public static func hex(digest: [UInt8]) -> String {
        HexDigits.string(digest)
    }

    /// The digest of `bytes` as 32 lower-case hex digits, as `md5OfBody` and `ETag`s write it.
    /// Contiguous bytes (`Data`, a native string's `utf8`) are hashed where they are, uncopied.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        hex(digest: digest(bytes))
    }

    /// The four rounds over the 64-byte block at `offset` of `bytes`, written out step by step as
    /// in RFC 1321 §3.4 (shift amounts and the table T inline): no arrays, so nothing is allocated
    /// or bounds-checked per block, which made it ~3× slower (bucket objects are hashed whole).
    private static func compress(
        _ state: (a: UInt32, b: UInt32, c: UInt32, d: UInt32), _ bytes: UnsafeRawBufferPointer, at offset: Int
    ) -> (a: UInt32, b: UInt32, c: UInt32, d: UInt32) {
        func word(_ index: Int) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 * index, as: UInt32.self))
        }
        let (x0, x1, x2, x3, x4, x5, x6, x7) = (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
        let (x8, x9, x10, x11, x12, x13, x14, x15) = (word(8), word(9), word(10), word(11), word(12), word(13), word(14), word(15))
        var (a, b, c, d) = state
        // Round 1: F(b, c, d) = (b & c) | (~b & d)
        a = f(a, b, c, d, x0, 7, 0xd76aa478)
        d = f(d, a, b, c, x1, 12, 0xe8c7b756)
        c = f(c, d, a, b, x2, 17, 0x242070db)
        b = f(b, c, d, a, x3, 22, 0xc1bdceee)
        a = f(a, b, c, d, x4, 7, 0xf57c0faf)
        d = f(d, a, b, c, x5, 12, 0x4787c62a)
        c = f(c, d, a, b, x6, 17, 0xa8304613)
        b = f(b, c, d, a, x7, 22, 0xfd469501)
        a = f(a, b, c, d, x8, 7, 0x698098d8)
        d = f(d, a, b, c, x9, 12, 0x8b44f7af)
        c = f(c, d, a, b, x10, 17, 0xffff5bb1)
        b = f(b, c, d, a, x11, 22, 0x895cd7be)
        a = f(a, b, c, d, x12, 7, 0x6b901122)
        d = f(d, a, b, c, x13, 12, 0xfd987193)
        c = f(c, d, a, b, x14, 17, 0xa679438e)
        b = f(b, c, d, a, x15, 22, 0x49b40821)
        // Round 2: G(b, c, d) = (b & d) | (c & ~d)
        a = g(a, b, c, d, x1, 5, 0xf61e2562)
        d = g(d, a, b, c, x6, 9, 0xc040b340)
        c = g(c, d, a, b, x11, 14, 0x265e5a51)
        b = g(b, c, d, a, x0, 20, 0xe9b6c7aa)
        a = g(a, b, c, d, x5, 5, 0xd62f105d)
        d = g(d, a, b, c, x10, 9, 0x02441453)
        c = g(c, d, a, b, x15, 14, 0xd8a1e681)
        b = g(b, c, d, a, x4, 20, 0xe7d3fbc8)
        a = g(a, b, c, d, x9, 5, 0x21e1cde6)
        d = g(d, a, b, c, x14, 9, 0xc33707d6)
        c = g(c, d, a, b, x3, 14, 0xf4d50d87)
        b = g(b, c, d, a, x8, 20, 0x455a14ed)
        a = g(a, b, c, d, x13, 5, 0xa9e3e905)
        d = g(d, a, b, c, x2, 9, 0xfcefa3f8)
        c = g(c, d, a, b, x7, 14, 0x676f02d9)
        b = g(b, c, d, a, x12, 20, 0x8d2a4c8a)
        // Round 3: H(b, c, d) = b ^ c ^ d
        a = h(a, b, c, d, x5, 4, 0xfffa3942)
        d = h(d, a, b, c, x8, 11, 0x8771f681)
        c = h(c, d, a, b, x11, 16, 0x6d9d6122)
        b = h(b, c, d, a, x14, 23, 0xfde5380c)
        a = h(a, b, c, d, x1, 4, 0xa4beea44)
        d = h(d, a, b, c, x4, 11, 0x4bdecfa9)
        c = h(c, d, a, b, x7, 16, 0xf6bb4b60)
        b = h(b, c, d, a, x10, 23, 0xbebfbc70)
        a = h(a, b, c, d, x13, 4, 0x289b7ec6)
        d = h(d, a, b, c, x0, 11, 0xeaa127fa)
        c = h(c, d, a, b, x3, 16, 0xd4ef3085)
        b = h(b, c, d, a, x6, 23, 0x04881d05)
        a = h(a, b, c, d, x9, 4, 0xd9d4d039)
        d = h(d, a, b, c, x12, 11, 0xe6db99e5)
        c = h(c, d, a, b, x15, 16, 0x1fa27cf8)
        b = h(b, c, d, a, x2, 23, 0xc4ac5665)
        // Round 4: I(b, c, d) = c ^ (b | ~d)
        a = i(a, b, c, d, x0, 6, 0xf4292244)
        d = i(d, a, b, c, x7, 10, 0x432aff97)
        c = i(c, d, a, b, x14, 15, 0xab9423a7)
        b = i(b, c, d, a, x5, 21, 0xfc93a039)
        a = i(a, b, c, d, x12, 6, 0x655b59c3)
        d = i(d, a, b, c, x3, 10, 0x8f0ccc92)
        c = i(c, d, a, b, x10, 15, 0xffeff47d)
        b = i(b, c, d, a, x1, 21, 0x85845dd1)
        a = i(a, b, c, d, x8, 6, 0x6fa87e4f)
        d = i(d, a, b, c, x15, 10, 0xfe2ce6e0)
        c = i(c, d, a, b, x6, 15, 0xa3014314)
        b = i(b, c, d, a, x13, 21, 0x4e0811a1)
        a = i(a, b, c, d, x4, 6, 0xf7537e82)
        d = i(d, a, b, c, x11, 10, 0xbd3af235)
        c = i(c, d, a, b, x2, 15, 0x2ad7d2bb)
        b = i(b, c, d, a, x9, 21, 0xeb86d391)
        return (state.a &+ a, state.b &+ b, state.c &+ c, state.d &+ d)
    }

    // One step of each round: a = b + ((a + mixed(b, c, d) + x + t) <<< s).
    @inline(__always) private static func f(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotateLeft(a &+ ((b & c) | (~b & d)) &+ x &+ t, by: s)
    }

    @inline(__always) private static func g(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotateLeft(a &+ ((b & d) | (c & ~d)) &+ x &+ t, by: s)
    }

    @inline(__always) private static func h(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotateLeft(a &+ (b ^ c ^ d) &+ x &+ t, by: s)
    }

    @inline(__always) private static func i(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotateLeft(a &+ (c ^ (b | ~d)) &+ x &+ t, by: s)
    }

    @inline(__always) private static func rotateLeft(_ value: UInt32, by count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
