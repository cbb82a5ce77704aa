import FlintRunner
import Foundation
import Testing

/// Where long log lines are cut: the same pieces live and stored, whatever the chunking.
@Suite struct LogLinePiecesTests {
    static let max = LogLinePieces.maxBytes

    static func bytes(_ text: String, repeating count: Int = 1) -> [UInt8] {
        Array(String(repeating: text, count: count).utf8)
    }

    /// Lines of every kind around the limit, the last one without a newline.
    static let log: [UInt8] =
        bytes("short\n") + bytes("a", repeating: 40_000) + bytes("\n") + bytes("b", repeating: max) + bytes("\r\n")
        + bytes("c", repeating: max + 1) + bytes("\n") + bytes("\n") + bytes("tail")

    @Test func storedLog_cutsLongLinesInto16KiBPieces() {
        let sizes = LogLinePieces.lines(of: Self.log[...]).map(\.count)
        #expect(sizes == [5, Self.max, Self.max, 40_000 - 2 * Self.max, Self.max, Self.max, 1, 0, 4])
    }

    /// Feeds `log` to a splitter in chunks of the given sizes (cycling) and returns what a
    /// follower of the function got.
    static func followed(_ log: [UInt8], chunks: [Int]) async -> [String] {
        let hub = LogHub()
        let subscription = hub.subscribe(function: "f")
        var splitter = LogLineSplitter(hub: hub, function: "f", invocation: "i")
        var offset = 0
        var chunk = 0
        while offset < log.count {
            let end = min(log.count, offset + chunks[chunk % chunks.count])
            log[offset ..< end].withUnsafeBytes { splitter.append($0) }
            offset = end
            chunk += 1
        }
        splitter.finish()
        var texts: [String] = []
        let expected = LogLinePieces.lines(of: log[...]).count
        while texts.count < expected, case .line(let line)? = await nextEvent(subscription) { texts.append(line.text) }
        return texts
    }

    @Test(arguments: [[Self.log.count], [20_000], [1], [7, 4_096, 16_385], [Self.max], [Self.max + 1, 3]])
    func followedLog_isCutAsTheStoredOneIs_whateverTheChunking(chunks: [Int]) async {
        let stored = LogLinePieces.lines(of: Self.log[...]).map { String(decoding: $0, as: UTF8.self) }
        let live = await Self.followed(Self.log, chunks: chunks)
        #expect(live.map(\.utf8.count) == stored.map(\.utf8.count))
        // Compared apart from the expectation, which would print both 100 KB sides.
        let isSame = live == stored
        #expect(isSame, "the followed lines differ from the stored ones")
    }

    @Test func piece_endsBeforeACharacterThatWouldBeCutInTwo() {
        // "é" is 2 bytes, "😀" 4: both would straddle the 16 KiB mark.
        let accented = Self.bytes("a", repeating: Self.max - 1) + Self.bytes("éz")
        let emoji = Self.bytes("a", repeating: Self.max - 2) + Self.bytes("😀z")
        for line in [accented, emoji] {
            let pieces = LogLinePieces.pieces(ofEnded: line[...]).map { String(decoding: $0, as: UTF8.self) }
            #expect(pieces.count == 2)
            #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") && $0.utf8.count <= Self.max })
            #expect(pieces.joined().utf8.elementsEqual(line))
        }
    }

    @Test func bytesThatAreNotUTF8_areCutAt16KiB_andShowAsReplacementCharacters() {
        let line = Self.bytes("a", repeating: Self.max - 4) + [UInt8](repeating: 0x80, count: 10) + Self.bytes("z")
        let pieces = LogLinePieces.pieces(ofEnded: line[...])
        #expect(pieces.map(\.count) == [Self.max, 7])
        let text = String(decoding: pieces[1], as: UTF8.self)
        #expect(text == String(repeating: "\u{FFFD}", count: 6) + "z")
    }
}
