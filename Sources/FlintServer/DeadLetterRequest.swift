internal import Foundation

/// The body of `POST /v1/deadletters/replay` and `/discard`: the dead letters to act on, by id or
/// all of them (of one function, if given). Both routes read it here, so they take and refuse the
/// same bodies.
struct DeadLetterRequest: Equatable {
    /// The ids asked for; nil for every dead letter.
    var ids: [Int64]?
    var function: String?

    struct Problem: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// The largest body read.
    static let limit = 1024 * 1024

    /// The most ids one request takes: each is a bound parameter of one statement, and SQLite
    /// takes at most 32,766.
    static let maximumIDs = 10_000

    static let usage = #"send {"ids": [ID, ...]} or {"all": true} (optionally with "function": NAME)"#

    /// `data` empty is `{}`, which asks for nothing and is refused with the usage.
    static func parse(_ data: Data) throws(Problem) -> DeadLetterRequest {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch let unknown as Body.UnknownFields {
            throw Problem(description: "unknown field(s) \(unknown.names.joined(separator: ", ")); \(usage)")
        } catch {
            throw Problem(description: "ids must be a non-empty list of whole-number dead letter ids (flint deadletters lists them); \(usage)")
        }
        if body.ids != nil, body.all != nil {
            throw Problem(description: "give ids or all, not both; \(usage)")
        }
        if let list = body.ids {
            guard !list.isEmpty else {
                throw Problem(description: "ids must be a non-empty list of dead letter ids (flint deadletters lists them)")
            }
            guard list.count <= maximumIDs else {
                throw Problem(description: "at most \(maximumIDs) ids per request, not \(list.count); split them, or use all (with function)")
            }
            return DeadLetterRequest(ids: list.map(\.value), function: body.function)
        }
        guard body.all == true else { throw Problem(description: usage) }
        return DeadLetterRequest(ids: nil, function: body.function)
    }

    /// The JSON as sent. A field it does not know is refused, not ignored: `{"all": true,
    /// "Function": "f"}` would otherwise act on every function's dead letters.
    private struct Body: Decodable {
        var ids: [DeadLetterID]?
        var all: Bool?
        var function: String?

        struct UnknownFields: Error {
            let names: [String]
        }

        private enum CodingKeys: String, CodingKey {
            case ids, all, function
        }

        /// Any key, to list those the body has.
        private struct AnyKey: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { CodingKeys(stringValue: $0) == nil }
            guard unknown.isEmpty else { throw UnknownFields(names: unknown.sorted()) }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            ids = try container.decodeIfPresent([DeadLetterID].self, forKey: .ids)
            all = try container.decodeIfPresent(Bool.self, forKey: .all)
            function = try container.decodeIfPresent(String.self, forKey: .function)
        }
    }

    /// A dead letter id: a whole JSON number, or a string of one (not 12.9, not true).
    private struct DeadLetterID: Decodable {
        let value: Int64

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                value = number
            } else if let text = try? container.decode(String.self), let number = Int64(text) {
                value = number
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a dead letter id")
            }
        }
    }
}
