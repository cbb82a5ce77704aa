import Foundation
import Glibc

/// The handler's stdout, captured up to a limit. Reads go straight into the buffer, which grows by
/// doubling and is handed over to `Data` without a copy.
struct OutputBuffer: ~Copyable {
    /// The most bytes kept; one more marks the output as too large.
    let limit: Int
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    private(set) var count = 0

    static let initialCapacity = 16 * 1024

    init(limit: Int) {
        precondition(limit >= 0, "output limit must not be negative")
        self.limit = limit
    }

    /// True once more than `limit` bytes have arrived.
    var isOverLimit: Bool { count > limit }

    /// Where the next read may write: never past `limit + 1` bytes in all, so that a single byte over
    /// the limit is seen and nothing beyond it is kept. Empty once over the limit.
    mutating func writableSpace() -> UnsafeMutableRawBufferPointer {
        let ceiling = limit + 1
        if count == capacity, capacity < ceiling {
            let grown = min(ceiling, max(Self.initialCapacity, capacity * 2))
            guard let reallocated = realloc(storage, grown) else {
                // Out of memory in the daemon: report the output as too large rather than crash.
                count = ceiling
                return UnsafeMutableRawBufferPointer(start: nil, count: 0)
            }
            storage = reallocated
            capacity = grown
        }
        guard let storage else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: storage + count, count: min(capacity, ceiling) - count)
    }

    /// Records that `byteCount` bytes were written into `writableSpace()`.
    mutating func didWrite(_ byteCount: Int) {
        count += byteCount
    }

    /// The captured bytes (empty when over the limit), without copying them.
    consuming func takeData() -> Data {
        let storage = self.storage
        let count = self.count
        let isOverLimit = self.isOverLimit
        discard self
        guard let storage, count > 0, !isOverLimit else {
            free(storage)
            return Data()
        }
        return Data(bytesNoCopy: storage, count: count, deallocator: .free)
    }

    deinit {
        free(storage)
    }
}
