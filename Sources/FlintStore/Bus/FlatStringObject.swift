/// Reads a JSON object whose every value is a string, `{"name": "value", ...}`: the attribute
/// maps the bus writes, and the only shape its schema lets a plain SQL INSERT store. A claim reads
/// one per delivery; Foundation's `JSONDecoder` took ~50 µs of each bucket event's path for it.
///
/// Anything else (a value that is not a string, nesting, text that is not JSON, a lone UTF-16
/// surrogate) reads as nil, and the caller falls back to the general decoder.
enum FlatStringObject {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: String]? {
        var reader = Reader(bytes: bytes)
        return reader.object()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard current == byte else { return false }
            position += 1
            return true
        }

        mutating func object() -> [String: String]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var members: [String: String] = [:]
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    guard let name = string(), consume(UInt8(ascii: ":")), let value = string() else { return nil }
                    // As JSONDecoder's dictionaries: a repeated name keeps its first value.
                    if members[name] == nil { members[name] = value }
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "}")) else { return nil }
            }
            skipWhitespace()
            return position == bytes.count ? members : nil
        }

        /// A string, its escapes undone.
        private mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = position
            // Most strings have no escape: their bytes are the value.
            while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { return nil }
                position += 1
            }
            guard let stop = current else { return nil }
            if stop == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< position - 1]), as: UTF8.self)
            }
            var value = Array(bytes[start ..< position])
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard unescape(into: &value) else { return nil }
                case ..<0x20:
                    return nil
                default:
                    value.append(byte)
                }
            }
            return nil
        }

        /// The escape after a backslash, appended to `value` as UTF-8.
        private mutating func unescape(into value: inout [UInt8]) -> Bool {
            guard let escaped = current else { return false }
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): value.append(escaped)
            case UInt8(ascii: "b"): value.append(0x08)
            case UInt8(ascii: "f"): value.append(0x0C)
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "u"):
                guard let scalar = escapedScalar() else { return false }
                Unicode.UTF8.encode(scalar) { value.append($0) }
            default:
                return false
            }
            return true
        }

        /// The scalar of a `\u` escape (its `\u` read), a surrogate pair's two escapes together.
        private mutating func escapedScalar() -> Unicode.Scalar? {
            guard let unit = hexUnit() else { return nil }
            guard (0xD800 ... 0xDBFF).contains(unit) else { return Unicode.Scalar(unit) }
            // The low half follows at once: no whitespace inside a string.
            guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
            else { return nil }
            position += 2
            guard let low = hexUnit(), (0xDC00 ... 0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
        }

        private mutating func hexUnit() -> UInt16? {
            guard position + 4 <= bytes.count else { return nil }
            var unit: UInt16 = 0
            for _ in 0 ..< 4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                unit = unit << 4 | UInt16(digit)
                position += 1
            }
            return unit
        }
    }
}
