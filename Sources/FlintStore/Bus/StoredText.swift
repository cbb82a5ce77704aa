internal import Foundation

/// Message bodies are selected as `CAST(body AS BLOB)` and decoded here. GRDB reads a TEXT
/// column as a C string, which ends at the first NUL; `flint publish` and the HTTP API refuse a
/// NUL, but a plain INSERT may store one, and its message must reach its handler whole.
enum StoredText {
    /// The UTF-8 text of `bytes` (invalid sequences replaced, as SQLite's own text functions
    /// would read them); empty for NULL.
    static func decoding(_ bytes: Data?) -> String {
        bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// `decoding` of at most `limit` of `bytes`, cut before a UTF-8 sequence the limit would split.
    static func decoding(_ bytes: Data, upTo limit: Int) -> String {
        guard bytes.count > limit else { return decoding(bytes) }
        var end = bytes.startIndex + limit
        // Back over continuation bytes (10xxxxxx) to the start of the sequence the cut is in.
        while end > bytes.startIndex, bytes[end] & 0xC0 == 0x80, bytes.startIndex + limit - end < 3 { end -= 1 }
        return decoding(bytes[bytes.startIndex ..< end])
    }
}
