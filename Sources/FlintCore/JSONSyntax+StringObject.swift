extension JSONSyntax {
    /// Reads a JSON object whose every value is a string, `{"name": "value", ...}`: the attribute
    /// maps the bus writes, and the only shape its schema lets a plain SQL INSERT store. A claim
    /// reads one per delivery; Foundation's `JSONDecoder` took ~50 µs of each bucket event's path
    /// for it.
    ///
    /// Anything else (a value that is not a string, nesting, text that is not JSON, a lone UTF-16
    /// surrogate) reads as nil, and the caller falls back to a general decoder. A repeated name
    /// keeps its first value, as `JSONDecoder`'s dictionaries do.
    public static func stringObject(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: String]? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var members: [String: String] = [:]
        scanner.skipWhitespace()
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                scanner.skipWhitespace()
                guard let name = scanner.readString() else { return nil }
                scanner.skipWhitespace()
                guard scanner.consume(UInt8(ascii: ":")) else { return nil }
                scanner.skipWhitespace()
                guard let value = scanner.readString() else { return nil }
                if members[name] == nil { members[name] = value }
                scanner.skipWhitespace()
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        }
        scanner.skipWhitespace()
        return scanner.position == bytes.count ? members : nil
    }

    /// The text between a string's quotes, which `Scanner.scanString` has accepted, with its
    /// escapes undone.
    fileprivate static func unescaped(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(raw.count)
        // Four hex digits the scanner checked.
        func unit(at index: Int) -> UInt32 {
            (index ..< index + 4).reduce(0) { $0 << 4 | UInt32(raw[$1].hexDigitValue ?? 0) }
        }
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                value.append(byte)
                continue
            }
            let escaped = raw[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "b"): value.append(0x08)
            case UInt8(ascii: "f"): value.append(0x0C)
            case UInt8(ascii: "n"): value.append(0x0A)
            case UInt8(ascii: "r"): value.append(0x0D)
            case UInt8(ascii: "t"): value.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = unit(at: index)
                index += 4
                // The scanner let a high surrogate through only with its low one, in the next escape.
                if (0xD800 ... 0xDBFF).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (unit(at: index + 2) - 0xDC00)
                    index += 6
                }
                if let scalar = Unicode.Scalar(scalar) { Unicode.UTF8.encode(scalar) { value.append($0) } }
            default:
                value.append(escaped)  // `"`, `\` and `/` stand for themselves
            }
        }
        return value
    }
}

extension JSONSyntax.Scanner {
    /// The string at `position`, its escapes undone; nil for anything `scanString` refuses.
    mutating func readString() -> String? {
        guard current == UInt8(ascii: "\"") else { return nil }
        let start = position + 1
        guard scanString() else { return nil }
        let raw = UnsafeBufferPointer(rebasing: bytes[start ..< position - 1])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        return String(decoding: JSONSyntax.unescaped(raw), as: UTF8.self)
    }
}
