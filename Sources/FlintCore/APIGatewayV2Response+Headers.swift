import Foundation

extension APIGatewayV2Response {
    /// `headers`, then `multiValueHeaders` (a payload 1.0 key, honoured so that 1.0-style handlers
    /// work; a name and value already given in `headers` is not repeated), then one `Set-Cookie` per
    /// cookie, then `content-type: application/json` if none of those named a content type.
    static func headerLines(_ fields: [String: JSONValue]) throws(Malformation) -> [HTTPResponseParts.Header] {
        guard let single = singleValueHeaders(fields["headers"]) else {
            throw Malformation("headers is not an object of strings, numbers or booleans")
        }
        guard let multiple = multiValueHeaders(fields["multiValueHeaders"]) else {
            throw Malformation("multiValueHeaders is not an object of lists of strings, numbers or booleans")
        }
        guard let cookies = cookieHeaders(fields["cookies"]) else {
            throw Malformation("cookies is not a list of strings")
        }
        let repeatsSingle = { (line: HTTPResponseParts.Header) in
            single.contains { $0.value == line.value && $0.name.caseInsensitiveCompare(line.name) == .orderedSame }
        }
        var lines = single + multiple.filter { !repeatsSingle($0) } + cookies
        if let bad = lines.first(where: { !isWellFormed($0) }) {
            throw Malformation("header \"\(bad.name)\" cannot be sent: a name is a token (letters, digits, !#$%&'*+-.^_`|~) and a value holds no CR, LF or NUL")
        }
        lines.removeAll { framingHeaders.contains($0.name.lowercased()) }
        if !lines.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append(HTTPResponseParts.Header(name: "content-type", value: "application/json"))
        }
        return lines
    }

    /// `{"name": value}`, sorted by name; nil if it is not an object of scalars.
    static func singleValueHeaders(_ value: JSONValue?) -> [HTTPResponseParts.Header]? {
        switch value {
        case nil, .null?:
            return []
        case .object(let headers)?:
            var lines: [HTTPResponseParts.Header] = []
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                guard let text = value.headerText else { return nil }
                lines.append(HTTPResponseParts.Header(name: name, value: text))
            }
            return lines
        default:
            return nil
        }
    }

    /// `{"name": [value, ...]}`, one line per value, sorted by name; nil if malformed.
    static func multiValueHeaders(_ value: JSONValue?) -> [HTTPResponseParts.Header]? {
        switch value {
        case nil, .null?:
            return []
        case .object(let headers)?:
            var lines: [HTTPResponseParts.Header] = []
            for (name, values) in headers.sorted(by: { $0.key < $1.key }) {
                guard case .array(let values) = values else { return nil }
                for value in values {
                    guard let text = value.headerText else { return nil }
                    lines.append(HTTPResponseParts.Header(name: name, value: text))
                }
            }
            return lines
        default:
            return nil
        }
    }

    /// `["a=1; Path=/", ...]`, one `Set-Cookie` line each; nil if not an array of strings.
    static func cookieHeaders(_ value: JSONValue?) -> [HTTPResponseParts.Header]? {
        switch value {
        case nil, .null?:
            return []
        case .array(let cookies)?:
            var lines: [HTTPResponseParts.Header] = []
            for cookie in cookies {
                guard case .string(let text) = cookie else { return nil }
                lines.append(HTTPResponseParts.Header(name: "set-cookie", value: text))
            }
            return lines
        default:
            return nil
        }
    }

    /// The server computes these from the body it writes; a handler's copy could only contradict it.
    static let framingHeaders: Set<String> = [
        "connection", "content-length", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// A header a server may write: a token for a name (RFC 9110 §5.6.2) and a value without
    /// CR, LF or NUL, so a handler cannot split the response.
    static func isWellFormed(_ header: HTTPResponseParts.Header) -> Bool {
        let tokenSymbols = Set("!#$%&'*+-.^_`|~".utf8)
        let nameIsToken = !header.name.isEmpty && header.name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || tokenSymbols.contains(byte)
        }
        let valueIsSafe = !header.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        return nameIsToken && valueIsSafe
    }
}
