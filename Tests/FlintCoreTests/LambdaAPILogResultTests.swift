import Foundation
import Testing

@testable import FlintCore

@Suite struct LambdaAPILogResultTests {
    @Test func logResultHeader_tenKilobyteLog_isBase64OfTheLast4096Bytes() throws {
        // Numbered lines, so the tail's content shows where it was cut.
        var text = ""
        var line = 0
        while text.utf8.count < 10 * 1024 {
            text += "line \(line) of the handler's log\n"
            line += 1
        }
        let log = Data(text.utf8)
        let header = LambdaAPI.logResultHeader(log: log)
        #expect(header.count == 5464)  // 4096 bytes → 1366 groups of four base64 characters
        let tail = try #require(Data(base64Encoded: header))
        #expect(tail.count == 4096)
        #expect(tail == log.suffix(4096))
        let tailText = try #require(String(data: tail, encoding: .utf8))
        #expect(tailText.hasSuffix("line \(line - 1) of the handler's log\n"))
    }

    @Test func logResultHeader_shortLog_isWholeLog() {
        let log = Data("START\nhello\nEND\n".utf8)
        #expect(LambdaAPI.logResultHeader(log: log) == log.base64EncodedString())
        #expect(LambdaAPI.logResultHeader(log: Data()) == "")
    }

    @Test func logResultHeader_cutInsideACharacter_startsAtTheNextCharacter() throws {
        // "€" is three bytes; 2000 of them put a character boundary 1 byte before the 4096 cut.
        let log = Data(String(repeating: "€", count: 2000).utf8)
        let tail = try #require(Data(base64Encoded: LambdaAPI.logResultHeader(log: log)))
        #expect(tail.count == 4095)
        #expect(tail == log.suffix(4095))
        #expect(String(data: tail, encoding: .utf8) == String(repeating: "€", count: 1365))
    }

    @Test func logResultHeader_sliceOfLargerData_usesItsOwnIndices() throws {
        let whole = Data(repeating: UInt8(ascii: "x"), count: 5000) + Data(repeating: UInt8(ascii: "y"), count: 5000)
        let slice = whole[1000 ..< 6000]
        let tail = try #require(Data(base64Encoded: LambdaAPI.logResultHeader(log: slice)))
        #expect(tail == whole[1904 ..< 6000])
    }
}

@Suite struct LambdaAPIExecutionLogTests {
    private func record(outcome: InvocationOutcome, durationMicros: Int64, initMicros: Int64? = nil) -> InvocationRecord {
        InvocationRecord(
            id: "0193a1b2-0000-7000-8000-000000000001", function: "f", trigger: nil, source: .lambda, attempt: 1,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_003),
            durationMicros: durationMicros, memoryLimitMB: 128, peakRSSBytes: 18 * 1024 * 1024 + 1, userCPUMicros: 0,
            systemCPUMicros: 0, exitCode: 0, signal: nil, coldStart: initMicros != nil, outcome: outcome, errorMessage: nil,
            initDurationMicros: initMicros
        )
    }

    @Test func okInvocation_hasStartEndAndReport_aroundTheLog() {
        let log = LambdaAPI.executionLog(record: record(outcome: .ok, durationMicros: 12_345, initMicros: 120_050), log: Data("hello".utf8))
        let id = "0193a1b2-0000-7000-8000-000000000001"
        #expect(String(decoding: log, as: UTF8.self) == """
            START RequestId: \(id) Version: $LATEST
            hello
            END RequestId: \(id)
            REPORT RequestId: \(id)\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tInit Duration: 120.05 ms\t

            """)
    }

    /// An init that ran out of time never started the task: no "Task timed out after 0.00 seconds".
    @Test func initTimeout_addsLambdasInitReportLine_notATaskTimeout() {
        let text = String(decoding: LambdaAPI.executionLog(record: record(outcome: .timeout, durationMicros: 0, initMicros: 10_000_120), log: Data()), as: UTF8.self)
        #expect(text.contains("INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout\n"), "\(text)")
        #expect(!text.contains("Task timed out"), "\(text)")
    }

    @Test func timeout_addsLambdasTimedOutLine() {
        let text = String(decoding: LambdaAPI.executionLog(record: record(outcome: .timeout, durationMicros: 3_000_000), log: Data()), as: UTF8.self)
        #expect(text.contains("2023-11-14T22:13:23.000Z 0193a1b2-0000-7000-8000-000000000001 Task timed out after 3.00 seconds\n"))
        #expect(text.hasSuffix("\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\t\n"))
    }
}
