import FlintCore
import FlintRunner
import Foundation
import Testing

/// Peak RSS and the OOM verdict, also while the daemon (this test process) is much larger than the
/// handler: a CLONE_VM spawn hands the daemon's high-water RSS to the child's `ru_maxrss`.
/// Serialized so that at most one ballast is resident at a time.
@Suite(.serialized) struct ExecRunnerMemoryTests {
    private static let mib = 1024 * 1024
    private static let hasPython = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

    /// Allocates and touches 200 MiB for the duration of `body`, so that this process's RSS (and
    /// with it the `ru_maxrss` its CLONE_VM children inherit) is far above a small handler's.
    private func withLargeDaemon(_ body: () async -> Void) async {
        let size = 200 * Self.mib
        let ballast = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { ballast.deallocate() }
        ballast.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #expect(usage.ru_maxrss * 1024 >= size)
        await body()
    }

    /// Allocates ~120 MiB (every page written), works on it for 50 ms, and exits: the sampler's
    /// timer (2 ms) must see it. (A handler that exits within a millisecond of its peak may not be
    /// seen: the sampled figure is a lower bound.)
    private let allocate120MiB = [
        "/usr/bin/python3", "-c", "import time\ndata = bytearray(b'x') * (120 << 20)\ntime.sleep(0.05)",
    ]

    @Test func peakRSS_ofASmallHandler_isItsOwn_notTheDaemons() async throws {
        try await withFixture { fixture in
            await withLargeDaemon {
                let result = await fixture.run(["/bin/cat"], payload: Data("small event".utf8))
                #expect(result.record.outcome == .ok)
                #expect(result.outputText == "small event")
                #expect(result.record.peakRSSBytes > 0)
                #expect(result.record.peakRSSBytes < 30 * Self.mib, "\(result.record.peakRSSBytes)")
            }
        }
    }

    @Test(.enabled(if: hasPython)) func peakRSS_ofALargeHandler_isMeasured() async throws {
        try await withFixture { fixture in
            // The daemon's peak may or may not exceed the handler's here (other tests run in this
            // process): the exact figure or the sampled one, both must be right.
            let alone = await fixture.run(allocate120MiB, memoryBytes: 512 * Self.mib)
            #expect(alone.record.outcome == .ok, "\(alone.logText)")
            #expect(alone.record.peakRSSBytes >= 100 * Self.mib, "\(alone.record.peakRSSBytes)")
            #expect(alone.record.peakRSSBytes < 180 * Self.mib, "\(alone.record.peakRSSBytes)")

            // With the daemon larger than the handler, only sampling can tell.
            await withLargeDaemon {
                let sampled = await fixture.run(allocate120MiB, memoryBytes: 512 * Self.mib)
                #expect(sampled.record.outcome == .ok, "\(sampled.logText)")
                #expect(sampled.record.peakRSSBytes >= 100 * Self.mib, "\(sampled.record.peakRSSBytes)")
                #expect(sampled.record.peakRSSBytes < 180 * Self.mib, "\(sampled.record.peakRSSBytes)")
            }
        }
    }

    @Test(.enabled(if: hasPython)) func peakRSS_aboveTheDaemonsPeak_isExact_andCoversChildren() async throws {
        try await withFixture { fixture in
            // Sampling sees only the shell; wait4's figure includes the child it waited for, and is
            // used because it exceeds anything the daemon reached.
            try fixture.script(
                "handler.sh", "#!/bin/sh\n/usr/bin/python3 -c \"data = bytearray(b'x') * ($1 << 20)\"\n"
            )
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let childMiB = usage.ru_maxrss / 1024 + 96
            let result = await fixture.run(["./handler.sh", "\(childMiB)"], memoryBytes: (childMiB + 256) * Self.mib)
            #expect(result.record.outcome == .ok, "\(result.logText)")
            #expect(result.record.peakRSSBytes >= childMiB * Self.mib, "\(result.record.peakRSSBytes)")
            #expect(result.record.peakRSSBytes < (childMiB + 64) * Self.mib, "\(result.record.peakRSSBytes)")
        }
    }

    @Test func failureOfAHandlerSmallerThanTheDaemon_isError_notOOM() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.sh", "#!/bin/sh\nexit 1\n")
            await withLargeDaemon {
                let result = await fixture.run(["./handler.sh"], memoryBytes: 64 * Self.mib)
                #expect(result.record.outcome == .error)
                #expect(result.record.errorMessage == "exit status 1")
                #expect(result.record.peakRSSBytes < 64 * Self.mib * 9 / 10)
            }
        }
    }

    @Test(.enabled(if: hasPython)) func memoryLimit_exceeded_isOOM_whileTheDaemonIsLarge() async throws {
        try await withFixture { fixture in
            try fixture.script("handler.py", MemoryHog.script)
            await withLargeDaemon {
                let result = await fixture.run(["./handler.py"], memoryBytes: 64 * Self.mib)
                #expect(result.record.outcome == .oom, "\(result.record) \(result.logText)")
                #expect(result.record.peakRSSBytes >= 64 * Self.mib * 9 / 10)
                #expect(result.record.peakRSSBytes < 100 * Self.mib)
                #expect(result.logText.contains("MemoryError"))
            }
        }
    }
}
