import FlintCore
@testable import FlintServer
import Foundation
import Testing

@Suite struct InvocationConsoleLineTests {
    @Test func format_namesFunctionTriggerOutcomeDurationAndID() {
        let record = InvocationRecord(
            id: "3b1c9e0a-0000-4000-8000-000000000000", function: "echo", trigger: "echo", source: .http, attempt: 1,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_000.0021),
            durationMicros: 2_100, memoryLimitMB: 64, peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0,
            exitCode: 3, signal: nil, coldStart: true, outcome: .error, errorMessage: "exit status 3"
        )
        let line = InvocationConsoleLine.format(record)
        #expect(line.hasPrefix("2023-11-14T22:13:20.002Z  echo  http:echo  error  2.10ms  3b1c9e0a-0000-4000-8000-000000000000"))
        #expect(line.hasSuffix("(exit status 3)"))
    }

    /// The error is the handler's (a Lambda errorMessage, an output's key): a newline in it must
    /// not forge a line of `flint up`'s output, nor an escape sequence reach the terminal.
    @Test func format_escapesControlCharactersOfTheError() {
        let record = InvocationRecord(
            id: "3b1c9e0a-0000-4000-8000-000000000000", function: "echo", trigger: nil, source: .cli, attempt: 1,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_000.0021),
            durationMicros: 2_100, memoryLimitMB: 64, peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0,
            exitCode: nil, signal: nil, coldStart: false, outcome: .error, errorMessage: "bad\u{1B}]0;x\u{07}\nfake ok"
        )
        #expect(InvocationConsoleLine.format(record).hasSuffix(#"(bad\u{1B}]0;x\u{7}\u{A}fake ok)"#))
    }

    @Test func duration_picksAReadableUnit() {
        #expect(InvocationConsoleLine.duration(850) == "0.85ms")
        #expect(InvocationConsoleLine.duration(35_400) == "35ms")
        #expect(InvocationConsoleLine.duration(12_300_000) == "12.3s")
    }
}

@Suite struct ISO8601Tests {
    @Test func string_isUTCWithMilliseconds() {
        #expect(UTCTimestamp(Date(timeIntervalSince1970: 1_700_000_000.021)).iso8601 == "2023-11-14T22:13:20.021Z")
        #expect(UTCTimestamp(Date(timeIntervalSince1970: 0)).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(UTCTimestamp(Date(timeIntervalSince1970: 951_782_400.5)).iso8601 == "2000-02-29T00:00:00.500Z")
    }
}
