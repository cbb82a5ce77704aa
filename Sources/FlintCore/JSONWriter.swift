public import Foundation

/// Writes JSON straight into bytes, for the events Flint builds on every invocation (the
/// Codable `JSONEncoder` costs several times more). The caller writes keys in the order it wants;
/// strings are escaped as RFC 8259 requires (`"`, `\`, control characters) and nothing more, so
/// `/` and non-ASCII text stay as they are.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// One entry per open object or array: whether a member was already written at that level.
    private var hasMembers: [Bool] = []

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    public var data: Data { Data(bytes) }

    /// Where the writer stands: `rollBack(to:)` undoes whatever was written after it. Only the
    /// innermost open container is remembered (no copy of the whole stack per mark), so a roll
    /// back must not cross the end of a container open at the mark.
    public struct Mark {
        fileprivate let byteCount: Int
        fileprivate let depth: Int
        fileprivate let innermostHasMembers: Bool?
    }

    public var mark: Mark { Mark(byteCount: bytes.count, depth: hasMembers.count, innermostHasMembers: hasMembers.last) }

    /// Undoes what was written since `mark`, so the next value follows what came before it.
    public mutating func rollBack(to mark: Mark) {
        precondition(hasMembers.count >= mark.depth, "JSONWriter.rollBack(to:) across the end of a container open at the mark")
        bytes.removeSubrange(mark.byteCount...)
        hasMembers.removeSubrange(mark.depth...)
        if let innermost = mark.innermostHasMembers { hasMembers[mark.depth - 1] = innermost }
    }

    public mutating func beginObject() { beginValue(); bytes.append(UInt8(ascii: "{")); hasMembers.append(false) }
    public mutating func endObject() { hasMembers.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { beginValue(); bytes.append(UInt8(ascii: "[")); hasMembers.append(false) }
    public mutating func endArray() { hasMembers.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"name":`; the value follows with the next call.
    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ value: String) { beginValue(); appendString(value) }
    public mutating func integer(_ value: some BinaryInteger) { beginValue(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func bool(_ value: Bool) { beginValue(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func null() { beginValue(); bytes.append(contentsOf: "null".utf8) }

    /// `"name": "value"` pairs as an object, keys sorted so the output is deterministic.
    public mutating func object(_ members: [String: String]) {
        beginObject()
        for name in members.keys.sorted() {
            key(name)
            string(members[name] ?? "")
        }
        endObject()
    }

    public mutating func array(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// Appends `value`, already valid JSON, as the next value.
    mutating func appendValue(_ value: UnsafeBufferPointer<UInt8>) {
        beginValue()
        bytes.append(contentsOf: value)
    }

    private mutating func beginValue() {
        // A value directly in an array is a member of it; a value after a key was separated by `key`.
        if let last = bytes.last, last != UInt8(ascii: ":") { separate() }
    }

    private mutating func separate() {
        guard !hasMembers.isEmpty else { return }
        if hasMembers[hasMembers.count - 1] {
            bytes.append(UInt8(ascii: ","))
        } else {
            hasMembers[hasMembers.count - 1] = true
        }
    }

    /// Copies runs of bytes that need no escaping in one go: bodies of queue messages and events
    /// are long and mostly plain.
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices where Self.needsEscape(utf8[index]) {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart ..< index]))
                appendEscaped(utf8[index])
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }
}
