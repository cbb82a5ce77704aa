import FlintCore
import Testing

@testable import FlintRunner

@Suite struct VerdictTests {
    private let mib = 1024 * 1024

    private func verdict(
        _ termination: Termination?, stop: StopReason? = nil, peakRSS: Int64 = 0, limit: Int = 64 * 1024 * 1024
    ) -> Verdict {
        Verdict.of(
            termination: termination, stopReason: stop,
            usage: ResourceUsage(userCPUMicros: 0, systemCPUMicros: 0, peakRSSBytes: peakRSS),
            memoryLimitBytes: limit, timeout: .seconds(30), outputLimit: 6_291_456
        )
    }

    @Test func waitStatus_isDecoded() {
        #expect(Termination(waitStatus: 0) == Termination(exitCode: 0))
        #expect(Termination(waitStatus: 3 << 8) == Termination(exitCode: 3))
        #expect(Termination(waitStatus: 9) == Termination(signal: 9))
        #expect(Termination(waitStatus: 11 | 0x80) == Termination(signal: 11))  // core dumped
    }

    @Test func termination_describesItself() {
        #expect(Termination(exitCode: 3).description == "exit status 3")
        #expect(Termination(signal: 11).description == "killed by signal 11 (SIGSEGV)")
        #expect(Termination(signal: 9).description == "killed by signal 9 (SIGKILL)")
    }

    @Test func exitZero_isOK_evenNearTheMemoryLimit() {
        #expect(verdict(Termination(exitCode: 0), peakRSS: Int64(63 * mib)) == Verdict(outcome: .ok, message: nil))
    }

    @Test func failureNearTheMemoryLimit_isOOM_belowNinetyPercentIsError() {
        let atNinety = Int64(64 * mib) * 9 / 10
        #expect(verdict(Termination(exitCode: 1), peakRSS: atNinety).outcome == .oom)
        #expect(verdict(Termination(signal: 9), peakRSS: atNinety).outcome == .oom)
        #expect(
            verdict(Termination(exitCode: 1), peakRSS: atNinety - 1) == Verdict(outcome: .error, message: "exit status 1")
        )
        #expect(
            verdict(Termination(exitCode: 1), peakRSS: Int64(60 * mib)).message
                == "out of memory: peak RSS 60 MiB of 64 MiB (exit status 1)"
        )
    }

    @Test func stopReason_winsOverHowTheProcessEnded() {
        #expect(
            verdict(Termination(exitCode: 0), stop: .timeout)
                == Verdict(outcome: .timeout, message: "killed after 30s timeout")
        )
        #expect(verdict(Termination(signal: 9), stop: .outputTooLarge).outcome == .outputTooLarge)
        #expect(verdict(Termination(signal: 9), stop: .cancelled).outcome == .killed)
        #expect(verdict(Termination(signal: 9), stop: .timeout, peakRSS: Int64(64 * mib)).outcome == .timeout)
        #expect(verdict(nil, stop: .supervisionFailed(SystemError("wait4", errno: 10))).outcome == .error)
    }

    @Test func duration_readsShortly() {
        #expect(Duration.seconds(30).shortDescription == "30s")
        #expect(Duration.milliseconds(300).shortDescription == "300ms")
        #expect(Duration.milliseconds(1500).shortDescription == "1.5s")
        #expect(Duration.seconds(2).nanoseconds == 2_000_000_000)
    }
}
