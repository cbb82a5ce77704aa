internal import Foundation

/// The little JSON the bus stores itself: attribute maps.
enum JSONText {
    /// A `{"name": "value"}` object, keys sorted.
    static func object(_ attributes: [String: String]) -> String {
        guard !attributes.isEmpty,
              let data = try? JSONSerialization.data(withJSONObject: attributes, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text
    }

    /// Reads an attribute map back; values that are not strings are skipped.
    static func attributes(_ text: String) -> [String: String] {
        guard text != "{}",
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}
