public import Foundation

/// Checks that bytes are exactly one JSON value (RFC 8259) in UTF-8, without building it, so that
/// `JSONWriter` can embed a handler's output as it is.
///
/// `JSONSerialization` is not enough for that: it also accepts trailing commas (`[1,]`), a byte
/// order mark and UTF-16 or UTF-32 text, and embedding any of those would write invalid JSON.
public enum JSONSyntax {
    /// Deeper nesting is refused, as `JSONSerialization` refuses it: no reader Flint feeds has to
    /// handle more.
    public static let maximumDepth = 512

    /// Whether `data` is exactly one valid JSON value in UTF-8, with optional whitespace around
    /// it: what Lambda's Invoke API and the bus's JSON inputs accept.
    public static func isValue(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in valueRange(in: raw.assumingMemoryBound(to: UInt8.self)) != nil }
    }

    /// The range of the one value `bytes` holds, without the whitespace around it; nil when
    /// `bytes` is anything but one valid JSON value with optional whitespace around it.
    static func valueRange(in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        let start = scanner.position
        guard scanner.scanValue() else { return nil }
        let end = scanner.position
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { return nil }
        return start ..< end
    }

    /// Reads JSON text from a position on; `JSONSyntax+StringObject` reads strings with it too.
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            position += 1
            return true
        }

        /// One value, containers included; iterative, so nesting never grows the call stack.
        mutating func scanValue() -> Bool {
            // The open containers, innermost last: `{` or `[`.
            var open: [UInt8] = []
            while true {
                skipWhitespace()
                // A value, or the end of an empty container.
                switch current {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard let opener = current, open.count < JSONSyntax.maximumDepth else { return false }
                    position += 1
                    skipWhitespace()
                    let closer = opener == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    if consume(closer) { break }
                    open.append(opener)
                    if opener == UInt8(ascii: "{") {
                        guard scanMemberName() else { return false }
                    }
                    continue
                case UInt8(ascii: "\""):
                    guard scanString() else { return false }
                case UInt8(ascii: "t"):
                    guard scanLiteral("true") else { return false }
                case UInt8(ascii: "f"):
                    guard scanLiteral("false") else { return false }
                case UInt8(ascii: "n"):
                    guard scanLiteral("null") else { return false }
                default:
                    guard scanNumber() else { return false }
                }
                // After a value: the next member, or the end of containers.
                while true {
                    guard let container = open.last else { return true }
                    skipWhitespace()
                    if consume(UInt8(ascii: ",")) {
                        if container == UInt8(ascii: "{") {
                            skipWhitespace()
                            guard scanMemberName() else { return false }
                        }
                        break
                    }
                    guard consume(container == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                    open.removeLast()
                }
            }
        }

        /// `"name"` and the `:` after it.
        private mutating func scanMemberName() -> Bool {
            guard current == UInt8(ascii: "\""), scanString() else { return false }
            skipWhitespace()
            return consume(UInt8(ascii: ":"))
        }

        private mutating func scanLiteral(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            for offset in 0 ..< count where bytes[position + offset] != literal.utf8Start[offset] {
                return false
            }
            position += count
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`
        private mutating func scanNumber() -> Bool {
            _ = consume(UInt8(ascii: "-"))
            if consume(UInt8(ascii: "0")) {
                // No leading zeros.
            } else {
                guard scanDigits() else { return false }
            }
            if consume(UInt8(ascii: ".")) {
                guard scanDigits() else { return false }
            }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                guard scanDigits() else { return false }
            }
            return true
        }

        /// One or more ASCII digits.
        private mutating func scanDigits() -> Bool {
            let start = position
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
            return position > start
        }

        /// A string from its opening quote: escapes as RFC 8259 lists them, no raw control
        /// characters, well-formed UTF-8.
        mutating func scanString() -> Bool {
            position += 1
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    return true
                case UInt8(ascii: "\\"):
                    position += 1
                    guard let escaped = current else { return false }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let unit = scanHexUnit() else { return false }
                        // Surrogates only in pairs: a lone one is no character, and readers
                        // such as JSONSerialization refuse it.
                        if (0xDC00 ... 0xDFFF).contains(unit) { return false }
                        if (0xD800 ... 0xDBFF).contains(unit) {
                            guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = scanHexUnit(),
                                  (0xDC00 ... 0xDFFF).contains(low)
                            else { return false }
                        }
                    default:
                        return false
                    }
                case 0x00 ..< 0x20:
                    return false
                case 0x20 ..< 0x80:
                    position += 1
                default:
                    guard scanUTF8Sequence() else { return false }
                }
            }
            return false
        }

        /// The four hex digits of a `\u` escape, as a UTF-16 code unit.
        private mutating func scanHexUnit() -> UInt16? {
            var unit: UInt16 = 0
            for _ in 0 ..< 4 {
                guard let digit = current, let value = digit.hexDigitValue else { return nil }
                unit = unit << 4 | UInt16(value)
                position += 1
            }
            return unit
        }

        /// One multi-byte UTF-8 sequence (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
        private mutating func scanUTF8Sequence() -> Bool {
            guard let lead = current else { return false }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80 ... 0xBF
            switch lead {
            case 0xC2 ... 0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0 ... 0xBF
            case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80 ... 0x9F
            case 0xF0: length = 4; secondRange = 0x90 ... 0xBF
            case 0xF1 ... 0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80 ... 0x8F
            default: return false
            }
            guard bytes.count - position >= length, secondRange.contains(bytes[position + 1]) else { return false }
            for offset in 2 ..< length where !(0x80 ... 0xBF).contains(bytes[position + offset]) {
                return false
            }
            position += length
            return true
        }
    }
}
