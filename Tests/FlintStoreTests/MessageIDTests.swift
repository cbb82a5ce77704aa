@testable import FlintStore
import Foundation
import Testing

@Suite struct MessageIDTests {
    @Test func ids_areLowercaseVersion7UUIDs() throws {
        let id = MessageID.make()
        let uuid = try #require(UUID(uuidString: id))
        #expect(id == id.lowercased())
        #expect(uuid.uuid.6 >> 4 == 7)
        #expect(uuid.uuid.8 >> 6 == 0b10)
    }

    @Test func ids_growWithTime_soTheIndexIsAppendedTo() {
        let ids = (0 ..< 100).map { MessageID.make(at: Date(timeIntervalSince1970: Double(1_800_000_000_000 + $0) / 1000)) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 100)
    }

    @Test func ids_carryTheirMillisecond() {
        let date = Date(timeIntervalSince1970: 1_800_000_000.123)
        let hex = MessageID.make(at: date).replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(hex, radix: 16) == 1_800_000_000_123)
    }
}
