import FlintCore
import Foundation
import Synchronization
import Testing

@Suite struct ThreadNameTests {
    /// What the kernel calls the calling thread (`top -H`, `perf`), read back from /proc.
    static func kernelName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .newlines)
    }

    @Test func aDedicatedThread_isKnownToTheKernelByItsName() async {
        let seen = Mutex("")
        await DedicatedThread.run(named: "flint-test", { seen.withLock { $0 = Self.kernelName() } }, stop: {})
        #expect(seen.withLock { $0 } == "flint-test")
    }

    @Test func aLongName_keepsItsFirst15Bytes() async {
        let seen = Mutex("")
        await DedicatedThread.run(named: "flint-a-very-long-name", { seen.withLock { $0 = Self.kernelName() } }, stop: {})
        #expect(seen.withLock { $0 } == "flint-a-very-lo")
    }
}
