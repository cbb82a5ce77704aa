@testable import FlintRunner
import Glibc
import Testing

@Suite struct InstanceMemoryTests {
    @Test func withACgroupThatReads_itsHighWaterMarkIsThePeak() {
        let memory = InstanceMemory(pid: getpid(), now: 0, cgroupPeak: { 123_456_789 })
        #expect(memory.peakBytes(now: InstanceMemory.interval) == 123_456_789)
        memory.close()
    }

    /// cgroup v2 before Linux 5.19 has no `memory.peak`: the runtime's own VmHWM, not 0.
    @Test func withACgroupThatCannotTellItsPeak_theProcesssOwnIsUsed() {
        let memory = InstanceMemory(pid: getpid(), now: 0, cgroupPeak: { nil })
        #expect(memory.peakBytes(now: InstanceMemory.interval) > 1024 * 1024)
        memory.close()
    }
}
