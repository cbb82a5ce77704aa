internal import FlintCore
internal import FlintRunner
internal import Foundation

/// One line of `GET /v1/functions/{name}/logs` (newline-delimited JSON, one object per line):
///
/// - `{"type":"following","function":F}` (and `"invocation"`): live lines follow from now on.
/// - `{"type":"line","time":T,"function":F,"invocation":ID,"text":LINE}`: one log line; `time`
///   is when Flint read it, or, for a stored log (which keeps no per-line time), when its
///   invocation started.
/// - `{"type":"dropped","time":T,"count":N}`: N lines were left out because the reader was slow.
/// - `{"type":"end","reason":R}`: the last record; R is `invocation-ended` (the followed
///   invocation is over), `stopping` (the daemon is stopping) or `complete` (stored logs only).
public struct LogStreamRecord: Decodable, Sendable, Hashable {
    public var type: String
    public var time: String?
    public var function: String?
    public var invocation: String?
    public var text: String?
    public var count: Int?
    public var reason: String?

    static func following(function: String, invocation: String?) -> [UInt8] {
        encode { writer in
            writer.key("type"); writer.string("following")
            writer.key("function"); writer.string(function)
            if let invocation { writer.key("invocation"); writer.string(invocation) }
        }
    }

    static func line(_ line: HandlerLogLine) -> [UInt8] {
        encode { writer in
            writer.key("type"); writer.string("line")
            writer.key("time"); writer.string(UTCTimestamp(line.time).iso8601)
            writer.key("function"); writer.string(line.function)
            writer.key("invocation"); writer.string(line.invocation)
            writer.key("text"); writer.string(line.text)
        }
    }

    static func dropped(_ count: Int, at time: Date = Date()) -> [UInt8] {
        encode { writer in
            writer.key("type"); writer.string("dropped")
            writer.key("time"); writer.string(UTCTimestamp(time).iso8601)
            writer.key("count"); writer.integer(count)
        }
    }

    static func end(_ reason: String) -> [UInt8] {
        encode { writer in
            writer.key("type"); writer.string("end")
            writer.key("reason"); writer.string(reason)
        }
    }

    /// The record of a live event.
    static func of(_ event: HandlerLogEvent) -> [UInt8] {
        switch event {
        case .line(let line): Self.line(line)
        case .dropped(let count): dropped(count)
        case .invocationEnded: end("invocation-ended")
        case .stopped: end("stopping")
        }
    }

    /// The records of a stored log, cut as live lines are (`LogLinePieces`), each stamped with
    /// the invocation's start.
    static func storedLines(_ log: Data, function: String, invocation: String, startedAt: Date) -> [UInt8] {
        var bytes: [UInt8] = []
        for text in LogLinePieces.lines(of: [UInt8](log)[...]) {
            bytes += line(HandlerLogLine(time: startedAt, function: function, invocation: invocation, text: String(decoding: text, as: UTF8.self)))
        }
        return bytes
    }

    private static func encode(_ members: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        members(&writer)
        writer.endObject()
        return writer.bytes + [UInt8(ascii: "\n")]
    }
}
