import Foundation
@testable import FlintServer
import Testing

@Suite struct LogStreamRecordTests {
    static func texts(_ log: String) throws -> [String] {
        let bytes = LogStreamRecord.storedLines(Data(log.utf8), function: "f", invocation: "i", startedAt: Date(timeIntervalSince1970: 0))
        return try bytes.split(separator: UInt8(ascii: "\n")).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])["text"] as? String ?? "?"
        }
    }

    @Test func storedLog_isOneRecordPerLine_andNothingForAnEmptyLog() throws {
        #expect(try Self.texts("") == [])
        #expect(try Self.texts("one\ntwo\r\n") == ["one", "two"])
        #expect(try Self.texts("no newline at the end") == ["no newline at the end"])
        #expect(try Self.texts("\n") == [""])
    }
}
