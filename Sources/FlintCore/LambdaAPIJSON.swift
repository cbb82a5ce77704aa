import Foundation

/// The one JSON encoding Flint's Lambda-shaped bodies use: sorted keys (deterministic output) and
/// `/` left unescaped, as AWS writes it.
enum LambdaAPIJSON {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            // Only non-finite floating-point values make JSONEncoder throw, and the shapes encoded
            // here hold strings, integers and booleans: a failure is a programming error.
            preconditionFailure("encoding \(type(of: value)) as JSON failed: \(error)")
        }
    }
}
