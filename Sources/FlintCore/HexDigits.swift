/// Hexadecimal digits, one byte of text at a time: the JSON scanner's `\u` escapes, percent-
/// coding, digests and UUIDs share them.
public enum HexDigits {
    static let lowercase = Array("0123456789abcdef".utf8)
    static let uppercase = Array("0123456789ABCDEF".utf8)

    /// `bytes` as two lower-case hex digits each, as digests are written (`ETag`s, SigV4).
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(2 * bytes.underestimatedCount)
        for byte in bytes { append(byte, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `byte` as two lowercase hex digits.
    static func append(_ byte: UInt8, to text: inout [UInt8]) {
        text.append(lowercase[Int(byte >> 4)])
        text.append(lowercase[Int(byte & 0x0F)])
    }
}

extension UInt8 {
    /// The value of `0-9`, `a-f` or `A-F`; nil for any other byte.
    var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
