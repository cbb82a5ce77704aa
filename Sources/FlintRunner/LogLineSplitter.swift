internal import Foundation

/// Cuts a handler's log bytes into lines for a `LogHub`, as they arrive, for one invocation.
///
/// While nobody follows the function it keeps nothing and only remembers whether the bytes
/// ended at a line's end: a follower who arrives in the middle of a line gets the lines after it,
/// never a fragment. Lines are cut as `LogLinePieces` says, so a long line reaches followers in
/// the same pieces of at most 16 KiB however the handler wrote it.
public struct LogLineSplitter: Sendable {
    private let hub: LogHub
    private let function: String
    /// The invocation whose lines these are.
    let invocation: String
    /// The part of the current line not handed on yet, while someone follows.
    private var partial: [UInt8] = []
    /// The current line began while nobody followed: skip to its end.
    private var skipsToLineEnd = false

    public init(hub: LogHub, function: String, invocation: String) {
        self.init(hub: hub, function: function, invocation: invocation, startsMidLine: false)
    }

    /// - Parameter startsMidLine: the log's bytes so far did not end with a line: the first
    ///   bytes handed to `append` continue a line this splitter has not seen the start of.
    init(hub: LogHub, function: String, invocation: String, startsMidLine: Bool) {
        self.hub = hub
        self.function = function
        self.invocation = invocation
        self.skipsToLineEnd = startsMidLine
    }

    /// Takes the next bytes of the log.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let last = bytes.last else { return }
        guard hub.isFollowed(function) else {
            partial.removeAll()
            skipsToLineEnd = last != UInt8(ascii: "\n")
            return
        }
        let now = Date()
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            if skipsToLineEnd {
                skipsToLineEnd = false
            } else {
                partial.append(contentsOf: rest[..<newline])
                publish(LogLinePieces.pieces(ofEnded: partial[...]), at: now)
                partial.removeAll(keepingCapacity: true)
            }
            rest = rest[(newline + 1)...]
        }
        guard !skipsToLineEnd else { return }
        partial.append(contentsOf: rest)
        let (pieces, unfinished) = LogLinePieces.pieces(ofUnfinished: partial[...])
        if !pieces.isEmpty {
            publish(pieces, at: now)
            partial = Array(unfinished)
        }
    }

    /// Hands on an unfinished last line: call once the log has ended.
    public mutating func finish() {
        if !partial.isEmpty, !skipsToLineEnd, hub.isFollowed(function) {
            publish(LogLinePieces.pieces(ofEnded: partial[...]), at: Date())
        }
        partial.removeAll()
    }

    /// Catches up a follower who arrives now, from `log`: the bytes read so far (or their last
    /// ones), up to those last appended. Returns its lines, and the pieces of the line under way,
    /// except the part this splitter still holds and will hand on; a line under way that the
    /// splitter was skipping is taken up from `log`, so that its rest is handed on too, whole.
    /// The caller holds what serialises `append`, so no bytes come between the two. (Had `log`
    /// lost the start of its first line, that line's first piece is a fragment; a stored log
    /// begins after it instead, `LogTail.takeData`.)
    mutating func catchUp(on log: ArraySlice<UInt8>, stampedAt time: Date) -> [HandlerLogLine] {
        let lineStart = log.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? log.startIndex
        var pieces = LogLinePieces.lines(of: log[..<lineStart])
        let lineUnderWay = log[lineStart...]
        if skipsToLineEnd {
            let (certain, rest) = LogLinePieces.pieces(ofUnfinished: lineUnderWay)
            pieces += certain
            partial = Array(rest)
            skipsToLineEnd = false
        } else {
            // What comes before `partial` was handed on already, in exactly these pieces.
            let (certain, last) = LogLinePieces.pieces(ofUnfinished: lineUnderWay.dropLast(partial.count))
            pieces += certain
            if !last.isEmpty { pieces.append(last) }
        }
        return lines(pieces, at: time)
    }

    /// `pieces` as this invocation's lines.
    func lines(_ pieces: [ArraySlice<UInt8>], at time: Date) -> [HandlerLogLine] {
        pieces.map { HandlerLogLine(time: time, function: function, invocation: invocation, text: String(decoding: $0, as: UTF8.self)) }
    }

    private func publish(_ pieces: [ArraySlice<UInt8>], at time: Date) {
        for piece in pieces {
            hub.publish(function: function, invocation: invocation, text: String(decoding: piece, as: UTF8.self), time: time)
        }
    }
}
