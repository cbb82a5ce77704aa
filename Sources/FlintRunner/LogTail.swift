import Foundation

/// The last `capacity` bytes of the handler's stderr, in a ring buffer allocated on the first byte.
struct LogTail: ~Copyable {
    let capacity: Int
    private var storage: UnsafeMutableRawPointer?
    /// Where the next byte goes.
    private var end = 0
    /// True once the ring has been filled and older bytes overwritten.
    private var isWrapped = false

    init(capacity: Int) {
        precondition(capacity > 0, "log tail limit must be positive")
        self.capacity = capacity
    }

    /// Where the next read may write: from the write position to the end of the ring (never empty).
    mutating func writableSpace() -> UnsafeMutableRawBufferPointer {
        let storage = self.storage ?? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.storage = storage
        return UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
    }

    /// Records that `byteCount` bytes were written into `writableSpace()`.
    mutating func didWrite(_ byteCount: Int) {
        end += byteCount
        if end == capacity {
            end = 0
            isWrapped = true
        }
    }

    /// How many bytes are kept.
    var count: Int { isWrapped ? capacity : end }

    /// A copy of the kept bytes, oldest first, leaving them in place.
    func copyBytes() -> [UInt8] {
        guard let storage else { return [] }
        let bytes = UnsafeRawBufferPointer(start: storage, count: capacity)
        guard isWrapped else { return Array(bytes[..<end]) }
        var copy = Array(bytes[end...])
        copy += bytes[..<end]
        return copy
    }

    /// The kept bytes, oldest first.
    consuming func takeData() -> Data {
        let storage = self.storage
        let end = self.end
        let isWrapped = self.isWrapped
        let capacity = self.capacity
        discard self
        guard let storage else { return Data() }
        if !isWrapped {
            guard end > 0 else {
                storage.deallocate()
                return Data()
            }
            return Data(bytesNoCopy: storage, count: end, deallocator: .custom { bytes, _ in bytes.deallocate() })
        }
        var data = Data(capacity: capacity)
        data.append(storage.advanced(by: end).assumingMemoryBound(to: UInt8.self), count: capacity - end)
        data.append(storage.assumingMemoryBound(to: UInt8.self), count: end)
        storage.deallocate()
        return data
    }

    deinit {
        storage?.deallocate()
    }
}
