@testable import FlintCore
import Foundation
import Testing

@Suite struct TimeOrderedUUIDTests {
    @Test func ids_areLowercaseVersion7UUIDs_thatFoundationParses() throws {
        for _ in 0 ..< 1_000 {
            let id = TimeOrderedUUID.make()
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            #expect(uuid.uuid.6 >> 4 == 7, "version nibble of \(id)")
            #expect(uuid.uuid.8 >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test func ids_growWithTime_soIndexesOnThemAreAppendedTo() {
        let ids = (0 ..< 100).map { TimeOrderedUUID.make(at: Date(timeIntervalSince1970: Double(1_800_000_000_000 + $0) / 1000)) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 100)
    }

    @Test func ids_carryTheirMillisecond() {
        let date = Date(timeIntervalSince1970: 1_800_000_000.123)
        let hex = TimeOrderedUUID.make(at: date).replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(hex, radix: 16) == 1_800_000_000_123)
    }

    @Test func ids_withinOneMillisecond_doNotRepeat() {
        let date = Date()
        let ids = (0 ..< 10_000).map { _ in TimeOrderedUUID.make(at: date) }
        #expect(Set(ids).count == ids.count)
    }

    /// Only the version and variant bits are fixed; every other bit comes from the inputs.
    @Test func layout() {
        #expect(TimeOrderedUUID.make(millis: 0, randomA: 0, randomB: 0) == "00000000-0000-7000-8000-000000000000")
        #expect(TimeOrderedUUID.make(millis: .max, randomA: .max, randomB: .max) == "ffffffff-ffff-7fff-bfff-ffffffffffff")
        #expect(
            TimeOrderedUUID.make(millis: 0x0123_4567_89AB, randomA: 0xCDE, randomB: 0x3EDC_BA98_7654_3210)
                == "01234567-89ab-7cde-bedc-ba9876543210")
    }
}
