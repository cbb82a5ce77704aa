public import Foundation
import Glibc

/// Turns an `http` trigger's function output into the HTTP response, as API Gateway does for
/// payload format 2.0 (LAMBDA.md §3 "Response").
///
/// - An object with a `statusCode` key is a response description: `statusCode`, `headers`,
///   `multiValueHeaders`, `cookies`, `body`, `isBase64Encoded`. If any part of it is malformed the
///   client gets ``failure``, as API Gateway answers a malformed integration response with 500.
/// - A JSON string is the body itself, without its quotes: the API Gateway guide shows the output
///   `"Hello from Lambda!"` answered with the body `Hello from Lambda!`, and `sam local start-api`
///   does the same.
/// - Any other JSON is the body as it is, with status 200 and `content-type: application/json`:
///   objects without `statusCode`, arrays, numbers, and `null` (what a Python handler returning
///   `None` produces).
/// - Output that is not JSON, including empty output, is treated the same way (empty output gives
///   an empty body). API Gateway answers 500 there instead, but an `exec` handler writes its result
///   to stdout, and plain text there is normal. Not when it starts as an object naming
///   `"statusCode"`: a response description that cannot be read is ``failure``.
public enum APIGatewayV2Response {
    /// Why a response description was refused: the client gets ``failure``, and the daemon logs this.
    public struct Malformation: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String

        init(_ description: String) { self.description = description }
    }

    /// Maps a successful handler's output to the HTTP response.
    public static func map(output: Data) -> HTTPResponseParts {
        mapping(output: output).parts
    }

    /// As `map(output:)`, with why the output was refused when it was a malformed response description.
    public static func mapping(output: Data) -> (parts: HTTPResponseParts, malformation: Malformation?) {
        // Most outputs are passed through as they are; decide that without parsing them.
        guard mayNeedDecoding(output) else { return (inferred(body: output), nil) }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: output) else {
            // A response description that cannot be read (cut short, or nested past the reader's
            // 512 levels) is refused as API Gateway refuses it, not sent to the client as text.
            if namesStatusCode(output) {
                return (failure, Malformation("the output names a statusCode but is not valid JSON (or nests deeper than \(JSONSyntax.maximumDepth) levels)"))
            }
            return (inferred(body: output), nil)
        }
        switch value {
        case .object(let fields) where fields["statusCode"] != nil:
            do {
                return (try described(by: fields), nil)
            } catch {
                return (failure, error)
            }
        case .string(let text):
            return (inferred(body: Data(text.utf8)), nil)
        default:
            return (inferred(body: output), nil)
        }
    }

    /// Whether `output` starts as an object and holds the key `"statusCode"`: meant as a response
    /// description.
    static func namesStatusCode(_ output: Data) -> Bool {
        output.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            bytes.first(where: { !isJSONWhitespace($0) }) == UInt8(ascii: "{") && contains(bytes, #""statusCode""#)
        }
    }

    /// False when decoding `output` cannot change the answer: it is not a JSON string, and it is not
    /// an object that could hold a `statusCode` key (spelled out, or hidden behind a `\u` escape).
    static func mayNeedDecoding(_ output: Data) -> Bool {
        output.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            guard let first = bytes.first(where: { !isJSONWhitespace($0) }) else { return false }
            switch first {
            case UInt8(ascii: "\""):
                return true
            case UInt8(ascii: "{"):
                return contains(bytes, #""statusCode""#) || contains(bytes, #"\u"#)
            default:
                return false
            }
        }
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// `memchr` finds each candidate first byte (vectorised in glibc), `memcmp` checks the rest:
    /// the scan runs over every byte of most outputs.
    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard let base = haystack.baseAddress, count > 0, haystack.count >= count else { return false }
        let first = Int32(needle.utf8Start.pointee)
        var offset = 0
        while offset <= haystack.count - count {
            guard let found = memchr(base + offset, first, haystack.count - count + 1 - offset) else { return false }
            let position = base.distance(to: UnsafeRawPointer(found))
            if memcmp(base + position, needle.utf8Start, count) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    /// The response for a failed invocation: 500 `{"message":"Internal Server Error"}`.
    public static var failure: HTTPResponseParts {
        HTTPResponseParts(
            status: 500,
            headers: [HTTPResponseParts.Header(name: "content-type", value: "application/json")],
            body: Data(#"{"message":"Internal Server Error"}"#.utf8)
        )
    }

    /// What API Gateway assumes when the output is not a response description.
    static func inferred(body: Data) -> HTTPResponseParts {
        HTTPResponseParts(
            status: 200,
            headers: [HTTPResponseParts.Header(name: "content-type", value: "application/json")],
            body: body
        )
    }

    /// The response an object with `statusCode` describes.
    ///
    /// A 1xx is not a final response, so a function cannot answer with one. A 204 or 304 has no
    /// body (RFC 9110 §15.3.5, §15.4.5): the server frames its head without one, so body bytes
    /// written after it would be read by the client as the start of the next response. Its
    /// body is dropped, as API Gateway drops it.
    static func described(by fields: [String: JSONValue]) throws(Malformation) -> HTTPResponseParts {
        let status = try statusCode(fields["statusCode"])
        guard (200 ... 599).contains(status) else {
            throw Malformation("statusCode \(status) is not a final HTTP status (200 to 599)")
        }
        let headers = try headerLines(fields)
        let body = try body(fields)
        let bodiless = status == 204 || status == 304
        return HTTPResponseParts(status: status, headers: headers, body: bodiless ? Data() : body)
    }

    /// A whole number, or a string of digits: API Gateway takes `"200"`, which Lambda's Node.js
    /// blueprints return.
    static func statusCode(_ value: JSONValue?) throws(Malformation) -> Int {
        switch value {
        case .integer(let status)?:
            return status
        case .string(let text)? where !text.isEmpty && text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }):
            if let status = Int(text) { return status }
        default:
            break
        }
        throw Malformation("statusCode is not a whole number")
    }

    /// `body` as text, or decoded from base64 when `isBase64Encoded` is true; absent or null is empty.
    /// Line breaks in it are skipped, as MIME base64 (Python's `base64.encodebytes`) has them.
    static func body(_ fields: [String: JSONValue]) throws(Malformation) -> Data {
        let isBase64Encoded: Bool
        switch fields["isBase64Encoded"] {
        case nil, .null?: isBase64Encoded = false
        case .bool(let flag)?: isBase64Encoded = flag
        default: throw Malformation("isBase64Encoded is not true or false")
        }
        switch fields["body"] {
        case nil, .null?:
            return Data()
        case .string(let text)?:
            guard isBase64Encoded else { return Data(text.utf8) }
            let lines = text.utf8.contains { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            let unbroken = lines ? String(text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }) : text
            guard let decoded = Data(base64Encoded: unbroken) else { throw Malformation("body is not base64, though isBase64Encoded is true") }
            return decoded
        default:
            throw Malformation("body is not a string (serialize it, e.g. json.dumps)")
        }
    }
}
