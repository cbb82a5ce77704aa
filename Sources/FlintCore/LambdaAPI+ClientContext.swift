import Foundation

extension LambdaAPI {
    /// Lambda's limit on `X-Amz-Client-Context`, in bytes of base64.
    public static let clientContextLimit = 3583

    /// The JSON text of an `X-Amz-Client-Context` header (base64 of one JSON object, at most
    /// ``clientContextLimit`` bytes), or nil when the header is not that. The text is checked
    /// strictly (`JSONSyntax`): runtimes parse it with their own JSON readers. It travels on as a
    /// header, so its line breaks and tabs become spaces: outside strings they are whitespace like
    /// any other, and inside them valid JSON has none.
    public static func clientContext(fromHeader value: String) -> String? {
        guard value.utf8.count <= clientContextLimit, var decoded = Data(base64Encoded: value) else { return nil }
        let isObject = decoded.withUnsafeBytes { raw -> Bool in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let range = JSONSyntax.valueRange(in: bytes) else { return false }
            return bytes[range.lowerBound] == UInt8(ascii: "{")
        }
        guard isObject else { return nil }
        for index in decoded.indices where decoded[index] == 0x0A || decoded[index] == 0x0D || decoded[index] == 0x09 {
            decoded[index] = 0x20
        }
        // DEL may stand raw in a JSON string, but not in a header value: refused, like any other
        // control character (which JSON has already kept out of its strings).
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        return String(data: decoded, encoding: .utf8)
    }
}
