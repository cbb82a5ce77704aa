/// How a handler's log is cut into the lines `flint logs` shows: at each `\n` (a `\r` just before
/// it is dropped), and a line longer than `maxBytes` into pieces of at most `maxBytes`.
///
/// A piece ends before the first byte of a UTF-8 character when one starts in its last 3 bytes,
/// so that a character is not cut in two; in bytes that are not UTF-8 it ends at `maxBytes`. Where
/// the cuts fall depends only on the bytes, never on how the handler's writes or Flint's reads
/// were chunked, so lines followed live and lines read from a stored log are the same pieces.
public enum LogLinePieces {
    /// The longest piece of a line, in bytes.
    public static let maxBytes = 16 * 1024

    /// The lines of `log`, each cut into pieces: a last line without `\n` counts as a line.
    public static func lines(of log: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var rest = log
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
            pieces += self.pieces(ofEnded: rest[..<(newline ?? rest.endIndex)])
            rest = newline.map { rest[($0 + 1)...] } ?? []
        }
        return pieces
    }

    /// The pieces of a line that has ended (at a `\n`, or at the end of the log): all of it,
    /// without a `\r` at its end. An empty line is one empty piece.
    public static func pieces(ofEnded line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var rest = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        var pieces: [ArraySlice<UInt8>] = []
        while rest.count > maxBytes {
            let end = pieceEnd(in: rest)
            pieces.append(rest[..<end])
            rest = rest[end...]
        }
        pieces.append(rest)
        return pieces
    }

    /// The pieces of a line still being written that are certain whatever comes next, and the
    /// rest, which waits for more bytes. A piece is only certain once the line is known to be
    /// longer than `maxBytes` without the `\r` that may end it.
    public static func pieces(ofUnfinished line: ArraySlice<UInt8>) -> (pieces: [ArraySlice<UInt8>], rest: ArraySlice<UInt8>) {
        var rest = line
        var pieces: [ArraySlice<UInt8>] = []
        while rest.count > maxBytes + 1 || (rest.count == maxBytes + 1 && rest.last != UInt8(ascii: "\r")) {
            let end = pieceEnd(in: rest)
            pieces.append(rest[..<end])
            rest = rest[end...]
        }
        return (pieces, rest)
    }

    /// Where the first piece of `line` (longer than `maxBytes`) ends: before the last character
    /// start among its bytes at offsets `maxBytes - 3 ... maxBytes`, else at `maxBytes`.
    private static func pieceEnd(in line: ArraySlice<UInt8>) -> ArraySlice<UInt8>.Index {
        let limit = line.startIndex + maxBytes
        for end in stride(from: limit, to: limit - 4, by: -1) where !isContinuation(line[end]) {
            return end
        }
        return limit
    }

    /// A byte `10xxxxxx`, which only continues a UTF-8 character.
    private static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }
}
