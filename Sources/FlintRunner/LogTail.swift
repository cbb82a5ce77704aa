import Foundation

/// The last `capacity` bytes of the handler's stderr, in a ring buffer allocated on the first byte.
///
/// A log longer than that is stored after a line that says how many bytes were not kept, from its
/// first whole line kept (`takeData`), so that it never starts with a line's fragment unmarked.
struct LogTail: ~Copyable {
    let capacity: Int
    private var storage: UnsafeMutableRawPointer?
    /// Where the next byte goes.
    private var end = 0
    /// True once the ring has been filled and older bytes overwritten.
    private var isWrapped = false
    /// Every byte written, kept or not.
    private var written = 0

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
        written += byteCount
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

    /// The kept bytes, oldest first. When older bytes were overwritten, they begin after
    /// `cutMarker`'s line, at the first line kept whole: the rest of the line cut is left out
    /// when it is at most `longestFragmentLeftOut` bytes (and a line ends after it), and kept
    /// otherwise, as the most of a long line (a stack dump, one JSON record) there is.
    consuming func takeData() -> Data {
        let storage = self.storage
        let end = self.end
        let isWrapped = self.isWrapped
        let capacity = self.capacity
        let written = self.written
        discard self
        guard let storage else { return Data() }
        if !isWrapped {
            guard end > 0 else {
                storage.deallocate()
                return Data()
            }
            return Data(bytesNoCopy: storage, count: end, deallocator: .custom { bytes, _ in bytes.deallocate() })
        }
        var kept = Data(capacity: capacity)
        kept.append(storage.advanced(by: end).assumingMemoryBound(to: UInt8.self), count: capacity - end)
        kept.append(storage.assumingMemoryBound(to: UInt8.self), count: end)
        storage.deallocate()
        guard written > capacity else { return kept }
        // The bytes before the first line's end are the rest of a line whose start was overwritten.
        var fragmentEnd = kept.startIndex
        let searched = kept.prefix(Self.longestFragmentLeftOut + 1)
        if let newline = searched.firstIndex(of: UInt8(ascii: "\n")), newline + 1 < kept.endIndex {
            fragmentEnd = newline + 1
        }
        var data = Data(Self.cutMarker(notKept: written - capacity + fragmentEnd, capacity: capacity).utf8)
        data.append(kept[fragmentEnd...])
        return data
    }

    /// The longest rest of a cut line left out of a stored log (a sixteenth of the 64 KiB kept).
    static let longestFragmentLeftOut = 4096

    /// The line a log begins with when its first `notKept` bytes were not kept.
    static func cutMarker(notKept: Int, capacity: Int) -> String {
        let kept = capacity % 1024 == 0 ? "\(capacity / 1024) KiB" : "\(capacity) bytes"
        return "[flint: the first \(notKept) bytes of this log were not kept; Flint keeps the last \(kept)]\n"
    }

    deinit {
        storage?.deallocate()
    }
}
