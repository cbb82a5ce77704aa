/// Percent-decoding (RFC 3986 §2.1) without Foundation.
///
/// Foundation's `removingPercentEncoding` bridges through CoreFoundation on Linux, which cost
/// ~2% of the daemon's CPU on every HTTP trigger request; most paths have nothing to decode.
extension StringProtocol {
    /// The text with each `%XX` replaced by its byte; nil when an escape is malformed or the
    /// decoded bytes are not UTF-8 (as `removingPercentEncoding`).
    public var percentDecoded: String? {
        let bytes = utf8
        guard bytes.contains(UInt8(ascii: "%")) else { return String(self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                continue
            }
            guard index != bytes.endIndex, let high = Self.hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            guard index != bytes.endIndex, let low = Self.hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
