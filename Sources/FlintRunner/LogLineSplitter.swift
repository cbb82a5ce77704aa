internal import Foundation

/// Cuts a handler's log bytes into lines for a `LogHub`, as they arrive, for one invocation.
///
/// While nobody follows the function it keeps nothing and only remembers whether the bytes
/// ended at a line's end: a follower who arrives in the middle of a line gets the lines after it,
/// never a fragment. Lines are cut as `LogLinePieces` says, so a long line reaches followers in
/// the same pieces of at most 16 KiB however the handler wrote it.
public struct LogLineSplitter: Sendable {
    /// The longest piece of a line handed on at once.
    public static let maxLineBytes = LogLinePieces.maxBytes

    private let hub: LogHub
    private let function: String
    private let invocation: String
    /// The part of the current line not handed on yet, while someone follows.
    private var partial: [UInt8] = []
    /// The current line began while nobody followed: skip to its end.
    private var skipsToLineEnd = false

    public init(hub: LogHub, function: String, invocation: String) {
        self.hub = hub
        self.function = function
        self.invocation = invocation
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

    private func publish(_ pieces: [ArraySlice<UInt8>], at time: Date) {
        for piece in pieces {
            hub.publish(function: function, invocation: invocation, text: String(decoding: piece, as: UTF8.self), time: time)
        }
    }
}
