import FlintCore
@testable import FlintRunner
import Foundation
import Testing

/// Timeouts, output and log limits, metering, memory, cancellation.
@Suite struct ExecRunnerLimitTests {
    @Test func timeout_killsWholeProcessGroup() async throws {
        try await withFixture { fixture in
            try fixture.script(
                "handler.sh",
                """
                #!/bin/sh
                sleep 60 &
                echo $! > "$1/grandchild.pid"
                echo $$ > "$1/leader.pid"
                sleep 60
                """
            )
            let result = await fixture.run(["./handler.sh", fixture.root], timeout: .milliseconds(300))
            #expect(result.record.outcome == .timeout)
            #expect(result.record.errorMessage == "killed after 300ms timeout")
            #expect(result.record.durationMicros >= 300_000)
            #expect(result.record.durationMicros < 1_300_000)  // SIGTERM sufficed: no grace period used
            let leader = try #require(fixture.readPID("leader.pid"))
            let grandchild = try #require(fixture.readPID("grandchild.pid"))
            #expect(await eventually { isGone(leader) && isGone(grandchild) })
        }
    }

    @Test func timeout_escalatesToSIGKILLAfterGrace() async throws {
        try await withFixture(settings: ExecRunnerSettings(killGrace: .milliseconds(200))) { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 0.05; done\n")
            let result = await fixture.run(["./handler.sh"], timeout: .milliseconds(200))
            #expect(result.record.outcome == .timeout)
            #expect(result.record.signal == SIGKILL)
            // The grace was waited for; the duration, as billed, stops at the timeout.
            #expect(result.record.endedAt.timeIntervalSince(result.record.startedAt) >= 0.4)
            #expect(result.record.durationMicros == 200_000)
        }
    }

    @Test func hugeOutput_isOutputTooLarge_andRunnerKeepsWorking() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["/usr/bin/head", "-c", "52428800", "/dev/zero"])
            #expect(result.record.outcome == .outputTooLarge)
            #expect(result.record.errorMessage == "output exceeded the 6291456-byte limit")
            #expect(result.output.isEmpty)

            let next = await fixture.run(["/bin/cat"], payload: Data("next".utf8))
            #expect(next.record.outcome == .ok)
            #expect(next.outputText == "next")
        }
    }

    @Test func outputAtTheLimit_isOK_oneByteMoreIsTooLarge() async throws {
        try await withFixture(settings: ExecRunnerSettings(outputLimit: 100_000)) { fixture in
            let atLimit = await fixture.run(["/usr/bin/head", "-c", "100000", "/dev/zero"])
            #expect(atLimit.record.outcome == .ok)
            #expect(atLimit.output.count == 100_000)
            let over = await fixture.run(["/usr/bin/head", "-c", "100001", "/dev/zero"])
            #expect(over.record.outcome == .outputTooLarge)
        }
    }

    @Test func fullSizeOutput_isCapturedWhole() async throws {
        try await withFixture { fixture in
            let result = await fixture.run(["/usr/bin/head", "-c", "\(InvocationResult.outputLimit)", "/dev/urandom"])
            #expect(result.record.outcome == .ok)
            #expect(result.output.count == InvocationResult.outputLimit)
        }
    }

    @Test func stderrTail_keepsTheLastWholeLines_afterAMarker() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\nseq 1 100000 >&2\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .ok)
            let everything = Array(((1...100_000).map(String.init).joined(separator: "\n") + "\n").utf8)
            let limit = InvocationResult.logTailLimit
            let kept = everything.suffix(limit)
            let firstWholeLine = try #require(kept.firstIndex(of: UInt8(ascii: "\n"))) + 1
            let marker = LogTail.cutMarker(notKept: everything.count - limit + (firstWholeLine - kept.startIndex), capacity: limit)
            #expect(result.logText == marker + String(decoding: kept[firstWholeLine...], as: UTF8.self))
            #expect(result.logText.hasPrefix("[flint: the first "))
        }
    }

    @Test func cpuBurningHandler_isMetered() async throws {
        try await withFixture { fixture in
            try fixture.script(
                "handler.sh", "#!/bin/sh\ni=0\nwhile [ $i -lt 300000 ]; do i=$((i+1)); done\necho $i\n"
            )
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == "300000\n")
            #expect(result.record.userCPUMicros > 10_000)
            #expect(result.record.systemCPUMicros >= 0)
            #expect(result.record.peakRSSBytes > 100 * 1024)
            #expect(result.record.durationMicros >= result.record.userCPUMicros / 2)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func memoryLimit_exceeded_isOOM() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.py", MemoryHog.script)
            let result = await fixture.run(["./handler.py"], memoryBytes: 64 * 1024 * 1024)
            #expect(result.record.outcome == .oom, "\(result.record) \(result.logText)")
            #expect(result.record.memoryLimitMB == 64)
            #expect(result.record.peakRSSBytes >= 64 * 1024 * 1024 * 9 / 10)
            #expect(result.record.errorMessage?.hasPrefix("out of memory: peak RSS") == true)
            #expect(result.logText.contains("MemoryError"))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func memoryWithinLimit_isOK() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.py", "#!/usr/bin/python3\ndata = b'x' * (16 << 20)\nprint(len(data))\n")
            let result = await fixture.run(["./handler.py"], memoryBytes: 64 * 1024 * 1024)
            #expect(result.record.outcome == .ok, "\(result.logText)")
            #expect(result.outputText == "\(16 << 20)\n")
        }
    }

    @Test func handlerIgnoringStdin_withLargeEvent_succeeds() async throws {
        try await withFixture { fixture in
            let event = Data(repeating: UInt8(ascii: "e"), count: 1024 * 1024)
            let result = await fixture.run(["/bin/echo", "done"], payload: event)
            #expect(result.record.outcome == .ok)
            #expect(result.outputText == "done\n")
        }
    }

    @Test func largeEvent_streamsThroughCatBothWays() async throws {
        try await withFixture { fixture in
            var event = Data(count: 3 * 1024 * 1024)
            event.withUnsafeMutableBytes { bytes in
                for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
            }
            let result = await fixture.run(["/bin/cat"], payload: event)
            #expect(result.record.outcome == .ok)
            #expect(result.output == event)
        }
    }

    @Test func cancellation_killsProcessGroup() async throws {
        try await withFixture { fixture in
            try fixture.script(
                "handler.sh",
                """
                #!/bin/sh
                sleep 60 &
                echo $! > "$1/grandchild.pid.tmp" && mv "$1/grandchild.pid.tmp" "$1/grandchild.pid"
                echo $$ > "$1/leader.pid.tmp" && mv "$1/leader.pid.tmp" "$1/leader.pid"
                sleep 60
                """
            )
            let task = Task { await fixture.run(["./handler.sh", fixture.root], timeout: .seconds(60)) }
            let started = await eventually {
                fixture.readPID("leader.pid") != nil && fixture.readPID("grandchild.pid") != nil
            }
            task.cancel()
            let result = await task.value
            try #require(started)
            #expect(result.record.outcome == .killed)
            #expect(result.record.signal == SIGKILL)
            #expect(result.record.durationMicros < 10_000_000)
            let leader = try #require(fixture.readPID("leader.pid"))
            let grandchild = try #require(fixture.readPID("grandchild.pid"))
            #expect(await eventually { isGone(leader) && isGone(grandchild) })
            #expect(fixture.workRootEntries() == [])
        }
    }

    @Test func cancelledBeforeStart_startsNothing() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\ntouch \"$1/ran\"\n")
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await fixture.run(["./handler.sh", fixture.root])
            }
            let result = await task.value
            #expect(result.record.outcome == .killed)
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/ran"))
        }
    }

    @Test func leftoverBackgroundChildren_dieWithTheInvocation() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\nsleep 60 > /dev/null 2>&1 &\necho $!\n")
            let result = await fixture.run(["./handler.sh"])
            #expect(result.record.outcome == .ok)
            let child = try #require(Int32(result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually { isGone(child) })
        }
    }

    @Test func concurrentInvocations_areIndependent() async throws {
        try await withFixture { fixture in
            let results = await withTaskGroup(of: (Int, InvocationResult).self) { group in
                for index in 0..<16 {
                    group.addTask { (index, await fixture.run(["/bin/cat"], payload: Data("event \(index)".utf8))) }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (index, result) in results {
                #expect(result.record.outcome == .ok)
                #expect(result.outputText == "event \(index)")
            }
            #expect(Set(results.values.map(\.record.id)).count == 16)
        }
    }
}
