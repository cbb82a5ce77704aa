internal import Yams

extension PriceTable {
    /// Every key `pricing` may have.
    static let keys = ["gb_second", "requests_per_million", "currency"]

    /// `pricing` in `flint.yaml`, Lambda's prices standing in for absent and invalid values; nil
    /// when the key is absent or not a mapping.
    static func parse(_ map: inout YAMLMapping) -> PriceTable? {
        let parsed = map.mapping("pricing", hint: "a mapping of \(keys.joined(separator: ", "))") { pricing -> PriceTable in
            var table = PriceTable()
            let priceHint = "a price in the currency, e.g. 0.0000166667"
            let gbSecond = pricing.value("gb_second", hint: priceHint, price)
            let requests = pricing.value("requests_per_million", hint: priceHint, price)
            let currency = pricing.value("currency", hint: "an ISO 4217 code, e.g. USD", currencyCode)
            if let gbSecond { table.gbSecond = gbSecond.value }
            if let requests { table.requestsPerMillion = requests.value }

            // The defaults are dollar amounts: another currency without both prices would mix them.
            let missing = [("gb_second", gbSecond), ("requests_per_million", requests)]
                .filter { $0.1 == nil && pricing.peek($0.0) == nil }.map(\.0)
            if let currency, currency.value != lambdaCurrency, !missing.isEmpty {
                pricing.report(
                    "\"\(currency.value)\" needs \(missing.joined(separator: " and ")) too: the default prices are in \(lambdaCurrency)",
                    at: currency)
            } else if let currency {
                table.currency = currency.value
            }

            let defaulted = [("gb_second", gbSecond == nil), ("requests_per_million", requests == nil)].filter(\.1).map(\.0)
            if defaulted.count < 2 {
                table.source = defaulted.isEmpty
                    ? "flint.yaml" : "flint.yaml, with the \(lambdaSource) for \(defaulted.joined(separator: ", "))"
            }
            pricing.reportUnreadKeys(notAKeyOf: "pricing", keys: keys)
            return table
        }
        return parsed?.value
    }

    /// A non-negative decimal number: `0.20`, `0.0000166667`, `1.66667e-5`.
    private static func price(_ text: String) throws(ValueProblem) -> Double {
        let isDecimal = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }
        guard isDecimal, let value = Double(text), value.isFinite else {
            throw ValueProblem("\"\(text)\" is not a number (write a plain decimal such as 0.20; the currency goes in currency)")
        }
        guard value >= 0 else { throw ValueProblem("\"\(text)\" is negative (a price is 0 or more)") }
        return value
    }

    /// Three capital letters.
    private static func currencyCode(_ text: String) throws(ValueProblem) -> String {
        guard text.count == 3, text.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ValueProblem("\"\(text)\" is not an ISO 4217 currency code (three capital letters, e.g. USD, EUR)")
        }
        return text
    }
}
