/// Percent-encoding (RFC 3986 §2.1) of UTF-8 text: every byte not kept becomes `%XX`, upper-case
/// hex. S3 event keys and SigV4's canonical path each keep their own set of bytes.
public enum PercentEncoding {
    /// Letters, digits and `-._~`, which no encoding changes (RFC 3986's unreserved characters).
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `text` with every byte that is neither unreserved nor in `alsoKept` encoded; a space as
    /// `+` when `spaceAsPlus` (form encoding), else `%20`.
    public static func encode(_ text: String, alsoKept: Set<UInt8> = [], spaceAsPlus: Bool = false) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || alsoKept.contains(byte) {
                encoded.append(byte)
            } else if spaceAsPlus, byte == UInt8(ascii: " ") {
                encoded.append(UInt8(ascii: "+"))
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(HexDigits.uppercase[Int(byte >> 4)])
                encoded.append(HexDigits.uppercase[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
