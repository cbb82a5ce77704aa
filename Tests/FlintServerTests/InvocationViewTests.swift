import FlintCore
@testable import FlintServer
import Foundation
import Testing

@Suite struct InvocationViewTests {
    /// Every documented key is there, `null` when the invocation lacks it: a timed-out
    /// invocation has a signal but no exit code, a warm one no init duration.
    @Test func absentValues_areNull_notLeftOut() throws {
        let record = InvocationRecord(
            id: "3b1c9e0a-0000-4000-8000-000000000000", function: "echo", trigger: nil, source: .cli, attempt: 1,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_001),
            durationMicros: 1_000_000, memoryLimitMB: 128, peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0,
            exitCode: nil, signal: 15, coldStart: false, outcome: .timeout, errorMessage: nil
        )
        let data = try FlintJSON.encoder.encode(InvocationView(record))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["trigger", "exit_code", "init_duration_us", "error_message"] {
            #expect(object[key] is NSNull, "\(key): \(String(decoding: data, as: UTF8.self))")
        }
        #expect(object["signal"] as? Int == 15)
        #expect(object.count == 20)
    }
}
