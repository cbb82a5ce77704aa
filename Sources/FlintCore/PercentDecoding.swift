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
            guard index != bytes.endIndex, let high = bytes[index].hexDigitValue else { return nil }
            index = bytes.index(after: index)
            guard index != bytes.endIndex, let low = bytes[index].hexDigitValue else { return nil }
            index = bytes.index(after: index)
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self)
    }
}
