import Foundation
import Testing

@testable import FlintRunner

/// The stdout buffer and the stderr ring, without processes. (#expect cannot look into noncopyable
/// values, so their state is read into locals first.)
@Suite struct CaptureBufferTests {
    /// Copies `bytes` into the buffer the way the supervisor's reads do, as far as it takes them.
    private func feed(_ buffer: inout OutputBuffer, _ bytes: [UInt8]) {
        var remaining = bytes[...]
        while !remaining.isEmpty, !buffer.isOverLimit {
            let space = buffer.writableSpace()
            let count = min(space.count, remaining.count)
            space.copyBytes(from: remaining.prefix(count))
            buffer.didWrite(count)
            remaining = remaining.dropFirst(count)
        }
    }

    /// Copies `bytes` into the ring in uneven chunks, as reads come.
    private func feed(_ tail: inout LogTail, _ bytes: [UInt8], chunks: [Int]) {
        var offset = 0
        var chunkIndex = 0
        while offset < bytes.count {
            var left = min(chunks[chunkIndex % chunks.count], bytes.count - offset)
            chunkIndex += 1
            while left > 0 {
                let space = tail.writableSpace()
                let count = min(space.count, left)
                space.copyBytes(from: bytes[offset..<(offset + count)])
                tail.didWrite(count)
                offset += count
                left -= count
            }
        }
    }

    @Test func outputBuffer_keepsEverythingUpToTheLimit() {
        var buffer = OutputBuffer(limit: 40_000)
        let bytes = (0..<40_000).map { UInt8(truncatingIfNeeded: $0) }
        feed(&buffer, bytes)
        let (isOverLimit, count) = (buffer.isOverLimit, buffer.count)
        let data = buffer.takeData()
        #expect(!isOverLimit)
        #expect(count == 40_000)
        #expect(data == Data(bytes))
    }

    @Test func outputBuffer_seesOneByteOverTheLimit_andKeepsNoMore() {
        var buffer = OutputBuffer(limit: 100)
        feed(&buffer, [UInt8](repeating: 1, count: 100))
        let (fullIsOverLimit, spaceLeft) = (buffer.isOverLimit, buffer.writableSpace().count)
        feed(&buffer, [2, 3, 4])
        let (isOverLimit, count) = (buffer.isOverLimit, buffer.count)
        let data = buffer.takeData()
        #expect(!fullIsOverLimit)
        #expect(spaceLeft == 1)
        #expect(isOverLimit)
        #expect(count == 101)
        #expect(data.isEmpty)
    }

    @Test func outputBuffer_emptyIsEmptyData() {
        let data = OutputBuffer(limit: 10).takeData()
        #expect(data.isEmpty)
    }

    @Test func logTail_keepsEverythingBelowCapacity() {
        var tail = LogTail(capacity: 8)
        feed(&tail, Array("abc".utf8), chunks: [2])
        let count = tail.count
        let data = tail.takeData()
        #expect(count == 3)
        #expect(data == Data("abc".utf8))
    }

    @Test func logTail_keepsTheLastBytesInOrder_acrossWraps() {
        var tail = LogTail(capacity: 8)
        feed(&tail, Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8), chunks: [3, 5, 1, 7, 2, 8, 4, 6])
        let count = tail.count
        let data = tail.takeData()
        #expect(count == 8)
        #expect(data == Data((LogTail.cutMarker(notKept: 28, capacity: 8) + "stuvwxyz").utf8))
    }

    @Test func logTail_cutLog_beginsAtItsFirstWholeLine_afterAMarker() {
        var tail = LogTail(capacity: 12)
        feed(&tail, Array("first line\nsecond line\nthird\nend".utf8), chunks: [5, 7])
        let data = tail.takeData()
        // Kept: "ne\nthird\nend" (12 of 32 bytes); "ne\n" ends the second line, whose start is gone.
        #expect(String(decoding: data, as: UTF8.self) == LogTail.cutMarker(notKept: 23, capacity: 12) + "third\nend")
    }

    /// The rest of a long line (a stack dump, one JSON record) is most of what there is: kept.
    @Test func logTail_cutLog_keepsTheRestOfALongLine() {
        var tail = LogTail(capacity: 8192)
        let log = Array(String(repeating: "a", count: 10_000).utf8) + Array("\ndone\n".utf8)
        feed(&tail, log, chunks: [4096, 1000])
        let data = tail.takeData()
        let kept = String(decoding: log.suffix(8192), as: UTF8.self)
        #expect(String(decoding: data, as: UTF8.self) == LogTail.cutMarker(notKept: log.count - 8192, capacity: 8192) + kept)
        #expect(LogTail.cutMarker(notKept: 1, capacity: 65536).hasSuffix("Flint keeps the last 64 KiB]\n"))
    }

    @Test func logTail_cutLog_whoseOnlyLineEndIsLast_keepsTheFragment() {
        var tail = LogTail(capacity: 4)
        feed(&tail, Array("abcdefgh\n".utf8), chunks: [3])
        let data = tail.takeData()
        #expect(String(decoding: data, as: UTF8.self) == LogTail.cutMarker(notKept: 5, capacity: 4) + "fgh\n")
    }

    @Test func logTail_exactlyFull_isWholeBuffer() {
        var tail = LogTail(capacity: 4)
        feed(&tail, Array("abcd".utf8), chunks: [4])
        let data = tail.takeData()
        #expect(data == Data("abcd".utf8))
    }

    @Test func logTail_emptyIsEmptyData() {
        let data = LogTail(capacity: 8).takeData()
        #expect(data.isEmpty)
    }
}
