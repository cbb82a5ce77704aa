internal import CFlintSpawn

/// How much freed memory the daemon's malloc heaps keep for reuse.
///
/// glibc gives the top of a heap back to the kernel (`madvise`) as soon as more than 128 KiB of
/// it is free, and the next allocation there faults the pages in again. SQLite frees a
/// statement's journal after each statement, so the bus consumer's claims went through that cycle
/// every time: 13 page faults per queued message, and up to a quarter of the daemon's CPU while it
/// drained a backlog (docs/performance.md). glibc raises that threshold by itself only after the
/// process frees a large block, which this daemon may never do. A daemon gone idle after running
/// handlers still returns to its resting size: the last supervisor thread to retire trims every
/// heap (`SupervisorThread`).
public enum FreeMemoryRetention {
    /// Free memory kept at the top of each heap.
    public static let bytesKeptPerHeap = 4 * 1024 * 1024
    /// Blocks up to this size come from the heap (a bucket object's 256 KiB read buffer, large
    /// request bodies), not from a mapping made and unmade for each: fixing the trim threshold
    /// also fixes this one, which glibc would otherwise raise by itself from 128 KiB. Below
    /// `bytesKeptPerHeap`, so that freeing one such block does not trim the heap either.
    public static let largestBlockFromTheHeap = 1024 * 1024

    /// Applies both to every heap of the process, from now on; false if malloc refused either.
    /// Call when the daemon starts.
    @discardableResult
    public static func keepFreedMemoryForReuse() -> Bool {
        keepFreedMemory(upTo: bytesKeptPerHeap)
    }

    /// Any other amount kept (with the same largest heap block), for tests.
    static func keepFreedMemory(upTo bytes: Int) -> Bool {
        flint_keep_free_memory(bytes, largestBlockFromTheHeap) == 1
    }
}
