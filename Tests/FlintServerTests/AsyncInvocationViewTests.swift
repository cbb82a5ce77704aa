import FlintCore
@testable import FlintServer
import Foundation
import Testing

/// `GET /v1/invocations/{id}` of an asynchronous invocation.
@Suite struct AsyncInvocationViewTests {
    /// The record of an earlier round's last attempt, as the ledger keeps it.
    static let earlier = InvocationRecord(
        id: "inv-b", function: "echo", trigger: nil, source: .lambda, attempt: 3,
        startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_001),
        durationMicros: 1_000_000, memoryLimitMB: 128, peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0,
        exitCode: 1, signal: nil, coldStart: false, outcome: .error, errorMessage: "exit status 1"
    )

    static func status(_ state: DeliveryState, attempt: Int) -> DeliveryStatus {
        DeliveryStatus(
            state: state, function: "echo", attempt: attempt, lastInvocationID: "inv-b", lastError: nil,
            visibleAt: Date(timeIntervalSince1970: 1_700_000_100))
    }

    /// Replayed from dead letters, its new round has no attempt that ended: the earlier round's
    /// record is not shown as its, waiting or while its first attempt runs.
    @Test func aReplayedInvocation_showsNoEarlierRoundsRecord_untilAnAttemptOfItsOwnEnds() {
        for (state, attempt, status) in [(DeliveryState.ready, 0, "pending"), (.leased, 1, "running")] {
            let view = AsyncInvocationView(id: "request-1", status: Self.status(state, attempt: attempt), latest: Self.earlier)
            #expect(view.status == status)
            #expect(view.outcome == nil)
            #expect(view.invocation == nil)
        }
        // Retrying: its own first attempt ended, and is the one shown.
        let retrying = AsyncInvocationView(id: "request-1", status: Self.status(.ready, attempt: 1), latest: Self.earlier)
        #expect(retrying.status == "retrying")
        #expect(retrying.outcome == "error")
        #expect(retrying.invocation?.id == "inv-b")
    }
}
