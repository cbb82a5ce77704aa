import Foundation

/// Request headers folded the way payload format 2.0 carries them: lower-case names, repeated
/// fields joined by commas, and `Cookie` fields moved out into a list of cookies.
struct APIGatewayRequestHeaders {
    /// Lower-case name → the field values in arrival order, joined by `,`. Never holds `cookie`.
    private(set) var fields: [String: String] = [:]
    /// Each `name=value` pair of every `Cookie` field, in order.
    private(set) var cookies: [String] = []

    init(_ headers: [(name: String, value: String)]) {
        for (name, value) in headers {
            let key = name.lowercased()
            if key == "cookie" {
                // Pairs are separated by "; "; tolerate a missing space and a trailing separator.
                cookies += value.split(separator: ";")
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            } else if let existing = fields[key] {
                fields[key] = existing + "," + value
            } else {
                fields[key] = value
            }
        }
    }
}
