internal import FlintCore
internal import Foundation

/// The little JSON the bus stores itself: attribute maps. Written and read without Foundation's
/// `JSONSerialization`, whose bridging through `NSDictionary` cost ~2.5 % of the daemon's CPU
/// with bucket events (which carry attributes) arriving.
enum JSONText {
    /// A `{"name": "value"}` object, keys sorted.
    static func object(_ attributes: [String: String]) -> String {
        guard !attributes.isEmpty else { return "{}" }
        var writer = JSONWriter(capacity: 64 * attributes.count)
        writer.object(attributes)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Reads an attribute map back; values that are not strings are skipped, and text that is not
    /// a JSON object (a plain SQL INSERT may store anything) reads as no attributes.
    static func attributes(_ text: String) -> [String: String] {
        guard text != "{}" else { return [:] }
        var text = text
        if let flat = text.withUTF8(JSONSyntax.stringObject) { return flat }
        guard let members = try? JSONDecoder().decode([String: StringMember].self, from: Data(text.utf8)) else { return [:] }
        return members.compactMapValues(\.value)
    }

    /// A member's value when it is a string; nil for any other JSON value.
    private struct StringMember: Decodable {
        let value: String?

        init(from decoder: any Decoder) throws {
            value = try? decoder.singleValueContainer().decode(String.self)
        }
    }
}
