import Foundation
import Logging
import Testing

@testable import FlintRunner

/// Finding this process's cgroups, and the cleanup of cgroups a killed daemon left behind.
@Suite struct CgroupPoolTests {
    @Test func mounts_mapEachControllerToThisProcesssCgroupDirectory() {
        let mountInfo = """
            30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            32 25 0:28 /outer /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
            33 25 0:29 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
            34 25 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw
            """
        let membership = """
            4:memory:/process_api/abc
            3:cpu,cpuacct:/
            2:pids:/outer/inner
            0::/service
            """
        let mounts = CgroupMounts(mountInfo: mountInfo, membership: membership)
        #expect(mounts.controllers["memory"] == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(mounts.controllers["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts.controllers["pids"] == "/sys/fs/cgroup/pids/inner", "a mount showing only part of the hierarchy")
        #expect(mounts.unified == "/sys/fs/cgroup/unified/service")
    }

    @Test func mounts_withoutCgroups_findNothing() {
        let mounts = CgroupMounts(mountInfo: "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", membership: "0::/\n")
        #expect(mounts.unified == nil)
        #expect(mounts.controllers.isEmpty)
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func prepare_removesTheCgroupsOfADaemonThatIsGone_killingWhatIsLeftInThem() throws {
        let mounts = CgroupMounts.current()
        let base = try #require(mounts.controllers["memory"] ?? mounts.unified) + "/flint"
        // A pid above the kernel's maximum (4194304): certainly not running.
        let stale = base + "/999999999-1-1", child = stale + "/7"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: true)
        let leftover = Process()
        leftover.executableURL = URL(fileURLWithPath: "/bin/sleep")
        leftover.arguments = ["60"]
        try leftover.run()
        defer {
            if leftover.isRunning { kill(leftover.processIdentifier, SIGKILL) }
            leftover.waitUntilExit()
            try? FileManager.default.removeItem(atPath: child)
            try? FileManager.default.removeItem(atPath: stale)
        }
        try "\(leftover.processIdentifier)".write(toFile: child + "/cgroup.procs", atomically: false, encoding: .utf8)

        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.cgroup.tests"))
        #expect(isolation.cgroupsUnavailable == nil)
        #expect(!FileManager.default.fileExists(atPath: stale), "the stale parent is removed")
        leftover.waitUntilExit()
        #expect(leftover.terminationReason == .uncaughtSignal && leftover.terminationStatus == SIGKILL)
    }
}
