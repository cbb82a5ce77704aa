package import Foundation

/// The one JSON encoding of Flint's own bodies (Lambda-shaped ones and the admin API's): sorted
/// keys (deterministic output), `/` left unescaped as AWS writes it, dates as UTC ISO 8601. Made
/// once: responses are encoded on every request.
package enum FlintJSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTimestamp(date).iso8601)
        }
        return encoder
    }()

    package static func encode(_ value: some Encodable) -> Data {
        do {
            return try encoder.encode(value)
        } catch {
            // Only non-finite floating-point values make JSONEncoder throw, and the shapes encoded
            // here hold strings, integers and booleans: a failure is a programming error.
            preconditionFailure("encoding \(type(of: value)) as JSON failed: \(error)")
        }
    }
}
