internal import CFlintSpawn

/// How much freed memory the daemon's malloc heaps keep for reuse.
///
/// glibc gives the top of a heap back to the kernel (`madvise`) as soon as more than 128 KiB of
/// it is free, and the next allocation there faults the pages in again. SQLite frees a
/// statement's journal after each statement, so the bus consumer's claims went through that cycle
/// every time: ~300,000 page faults and a quarter of the daemon's CPU while it drained 20,000
/// queued messages (docs/performance.md). An idle daemon still returns to its resting size: the
/// last supervisor thread to retire trims every heap (`SupervisorThread`).
public enum FreeMemoryRetention {
    /// Free memory kept at the top of each heap.
    public static let bytesKeptPerHeap = 4 * 1024 * 1024

    /// Applies `bytesKeptPerHeap` to every heap of the process, from now on; false if malloc
    /// refused it. Call when the daemon starts.
    @discardableResult
    public static func keepFreedMemoryForReuse() -> Bool {
        keepFreedMemory(upTo: bytesKeptPerHeap)
    }

    /// Any other amount: glibc's default of 128 KiB, for tests.
    static func keepFreedMemory(upTo bytes: Int) -> Bool {
        flint_keep_free_memory(bytes) == 1
    }
}
