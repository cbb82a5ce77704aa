import Foundation

/// Decodes a raw query string into `queryStringParameters`.
enum APIGatewayQueryString {
    /// Name → value, percent-decoded with `+` as a space; a repeated name's values joined by `,`
    /// in order; `flag` without `=` has the value "". Empty pairs and empty names are skipped.
    static func parameters(_ rawQueryString: String) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in rawQueryString.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = pair.firstIndex(of: "=") {
                name = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                name = pair
                value = ""
            }
            let decodedName = decode(name)
            guard !decodedName.isEmpty else { continue }
            let decodedValue = decode(value)
            if let existing = parameters[decodedName] {
                parameters[decodedName] = existing + "," + decodedValue
            } else {
                parameters[decodedName] = decodedValue
            }
        }
        return parameters
    }

    /// Form decoding; a malformed escape (`%zz`) leaves the component as received.
    static func decode(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.percentDecoded ?? spaced
    }
}
