extension APIGatewayV2Response {
    /// Any JSON value, so that the handler's output can be inspected without trusting its shape.
    enum JSONValue: Decodable, Equatable {
        case null
        case bool(Bool)
        /// A number with no fraction that fits in `Int`.
        case integer(Int)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }

        /// A header value as API Gateway accepts it: a string, or a number or boolean written out.
        var headerText: String? {
            switch self {
            case .string(let text): text
            case .integer(let value): String(value)
            case .number(let value): String(value)
            case .bool(let value): String(value)
            case .null, .array, .object: nil
            }
        }
    }
}
