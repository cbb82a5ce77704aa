internal import Foundation

/// Cuts a handler's log bytes into lines for a `LogHub`, as they arrive, for one invocation.
///
/// While nobody follows the function it keeps nothing and only remembers whether the bytes
/// ended at a line's end: a follower who arrives in the middle of a line gets the lines after it,
/// never a fragment. A line longer than `maxLineBytes` is passed on in pieces of that size.
public struct LogLineSplitter: Sendable {
    /// The longest piece of a line handed on at once.
    public static let maxLineBytes = 16 * 1024

    private let hub: LogHub
    private let function: String
    private let invocation: String
    /// The start of the current line, while someone follows.
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
                publishPartial(at: now)
            }
            rest = rest[(newline + 1)...]
        }
        guard !skipsToLineEnd else { return }
        partial.append(contentsOf: rest)
        while partial.count >= Self.maxLineBytes {
            hub.publish(function: function, invocation: invocation, text: Self.text(partial.prefix(Self.maxLineBytes)), time: now)
            partial.removeFirst(Self.maxLineBytes)
        }
    }

    /// Hands on an unfinished last line: call once the log has ended.
    public mutating func finish() {
        if !partial.isEmpty, !skipsToLineEnd, hub.isFollowed(function) {
            publishPartial(at: Date())
        }
        partial.removeAll()
    }

    private mutating func publishPartial(at time: Date) {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        hub.publish(function: function, invocation: invocation, text: Self.text(partial[...]), time: time)
        partial.removeAll(keepingCapacity: true)
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
