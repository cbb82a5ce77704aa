@testable import FlintRunner
import Testing

/// The daemon's malloc setting. What it saves (page faults on the bus consumer's thread) depends
/// on which heap each thread allocates from, which a test process shares with its other tests:
/// `bench/queue-bench.sh` measures it (daemon page faults per message).
@Suite struct FreeMemoryRetentionTests {
    @Test func keepingFreedMemory_isAccepted() {
        #expect(FreeMemoryRetention.keepFreedMemoryForReuse(), "mallopt refused M_TRIM_THRESHOLD \(FreeMemoryRetention.bytesKeptPerHeap) or M_MMAP_THRESHOLD \(FreeMemoryRetention.largestBlockFromTheHeap)")
    }

    @Test func anAmountMallocCannotTake_isRefused() {
        #expect(!FreeMemoryRetention.keepFreedMemory(upTo: Int(Int32.max) + 1), "over INT_MAX was passed on, truncated")
        #expect(!FreeMemoryRetention.keepFreedMemory(upTo: -1), "a negative amount was passed on")
        // Back to the daemon's setting, for whatever runs next in this process.
        #expect(FreeMemoryRetention.keepFreedMemoryForReuse())
    }
}
