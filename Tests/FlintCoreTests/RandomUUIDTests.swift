@testable import FlintCore
import Foundation
import Testing

@Suite struct RandomUUIDTests {
    @Test func isVersion4TextFoundationCanParse() throws {
        for _ in 0 ..< 1_000 {
            let text = RandomUUID.make()
            let uuid = try #require(UUID(uuidString: text), "\(text)")
            #expect(uuid.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version nibble of \(text)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(text)")
        }
    }

    @Test func doesNotRepeat() {
        let ids = (0 ..< 10_000).map { _ in RandomUUID.make() }
        #expect(Set(ids).count == ids.count)
    }
}

extension RandomUUIDTests {
    @Test func setsTheVersionAndVariantBitsOnly() {
        #expect(RandomUUID.make(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
        #expect(RandomUUID.make(high: .max, low: .max) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(RandomUUID.make(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) == "01234567-89ab-4def-bedc-ba9876543210")
    }
}
