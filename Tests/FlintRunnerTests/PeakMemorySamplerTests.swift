import Glibc
import Testing

@testable import FlintRunner

/// Parsing /proc/<pid>/status and choosing between wait4's figure and the sampled one.
@Suite struct PeakMemorySamplerTests {
    private static let status = """
        Name:\tpython3
        Umask:\t0022
        State:\tR (running)
        Tgid:\t870
        Pid:\t870
        VmPeak:\t  130560 kB
        VmSize:\t  130560 kB
        VmLck:\t       0 kB
        VmPin:\t       0 kB
        VmHWM:\t  126816 kB
        VmRSS:\t    9084 kB
        Threads:\t1

        """

    /// A zombie's status: no Vm lines.
    private static let zombie = "Name:\tcat\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t871\nThreads:\t1\n"

    private func withBytes<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        Array(text.utf8).withUnsafeBytes(body)
    }

    @Test func highWaterMark_isReadFromTheVmHWMLine() {
        #expect(withBytes(Self.status) { PeakMemorySampler.highWaterMarkKiB(in: $0) } == 126_816)
        #expect(withBytes(Self.zombie) { PeakMemorySampler.highWaterMarkKiB(in: $0) } == nil)
        #expect(withBytes("") { PeakMemorySampler.highWaterMarkKiB(in: $0) } == nil)
        #expect(withBytes("Name:\tx\nVmHWM:\t") { PeakMemorySampler.highWaterMarkKiB(in: $0) } == nil)
        #expect(withBytes("Name:\tx\nVmHWM:\t 12") { PeakMemorySampler.highWaterMarkKiB(in: $0) } == 12)
        // Only a line starting with the key counts.
        #expect(withBytes("Name:\tVmHWM: 5\n") { PeakMemorySampler.highWaterMarkKiB(in: $0) } == nil)
    }

    @Test func aSampler_readsItsProcessesHighWaterMark_andSchedulesTheNextSample() {
        var sampler = PeakMemorySampler(pid: getpid(), now: 0)
        #expect(sampler.sampledPeakKiB > 0)
        #expect(sampler.nextSampleAt == PeakMemorySampler.fastInterval)
        sampler.close()
        #expect(sampler.nextSampleAt == .max)
    }

    /// For a process whose cgroup measures its peak: no descriptor, no reads, no wake-ups.
    @Test func aSamplerNotSampling_neverReadsNorAsksForAWakeUp() {
        var sampler = PeakMemorySampler(notSamplingFrom: 0)
        #expect(sampler.nextSampleAt == .max)
        sampler.sample(now: PeakMemorySampler.slowInterval * 10)
        #expect(sampler.sampledPeakKiB == 0)
        sampler.close()
    }

    @Test func peak_isWait4sFigure_onlyWhenAboveTheDaemonsPeak() {
        // The daemon's 200 MiB passed on at execve: the sampled figure.
        #expect(
            PeakMemorySampler.peakRSSBytes(handlerMaxRSSKiB: 204_800, daemonMaxRSSKiB: 204_800, sampledPeakKiB: 1_700)
                == 1_700 * 1024
        )
        // Above anything the daemon reached: the handler's own, exact.
        #expect(
            PeakMemorySampler.peakRSSBytes(handlerMaxRSSKiB: 300_000, daemonMaxRSSKiB: 204_800, sampledPeakKiB: 290_000)
                == 300_000 * 1024
        )
        // Not reaped (no rusage), nothing sampled.
        #expect(PeakMemorySampler.peakRSSBytes(handlerMaxRSSKiB: 0, daemonMaxRSSKiB: 30_000, sampledPeakKiB: 0) == 0)
    }
}
