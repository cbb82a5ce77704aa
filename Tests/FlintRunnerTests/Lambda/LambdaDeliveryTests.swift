import FlintCore
import FlintRunner
import Foundation
import Testing

/// Handing the event to the runtime: an event that never reached it is handed out again.
@Suite struct LambdaDeliveryTests {
    @Test func eventLostOnAClosingConnection_isDeliveredOnTheNextAsk_notTimedOut() async throws {
        try await withLambdaFixture { fixture in
            let function = fixture.function(start: "drop-first", timeout: .seconds(10))
            // Larger than the socket buffers (4 MiB to send, 64 KiB to receive): its write is still
            // pending when the runtime resets the connection, and fails.
            let pad = String(repeating: "x", count: 8 * 1024 * 1024)
            let result = try await fixture.invoke(function, ["pad": pad])
            #expect(result.record.outcome == .ok, "\(result.record.errorMessage ?? "-")")
            #expect(result.logText.contains("dropped the first event"))
            #expect(try result.report()["requestId"] as? String == result.record.id)
            // The same instance goes on.
            let next = try await fixture.invoke(function)
            #expect(next.record.outcome == .ok && !next.record.coldStart)
        }
    }
}
