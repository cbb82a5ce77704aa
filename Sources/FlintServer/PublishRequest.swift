internal import FlintCore
internal import Foundation

/// The body of `POST /v1/topics/{topic}/messages`: one message object, or a list of them.
struct PublishRequest {
    var messages: [OutgoingMessage]
    var isBatch: Bool

    struct Problem: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    static let shape = #"{"body": TEXT or JSON, "attributes": {"NAME": "VALUE"}, "dedup_key": TEXT, "group_key": TEXT} (all but body optional), or a list of such objects"#

    static func parse(_ data: Data, topic: String) throws(Problem) -> PublishRequest {
        guard JSONSyntax.isValue(data) else {
            throw Problem(description: "the request body is not JSON; send \(shape)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            // Valid JSON that Foundation cannot read: a number beyond a Double's range.
            throw Problem(description: "the request holds a number too large to read (beyond ±1.8e308); send such a body as a JSON string")
        }
        // Each message's body as it was written: JSONSerialization would rewrite its numbers.
        let bodyTexts = JSONSyntax.memberTexts(named: "body", in: data) ?? []
        func bodyText(_ index: Int) -> String? { index < bodyTexts.count ? bodyTexts[index] : nil }
        if let list = json as? [Any] {
            guard !list.isEmpty else { throw Problem(description: "the list of messages is empty") }
            var messages: [OutgoingMessage] = []
            for (index, element) in list.enumerated() {
                messages.append(try message(element, bodyText: bodyText(index), topic: topic, position: "message \(index + 1): "))
            }
            return PublishRequest(messages: messages, isBatch: true)
        }
        return PublishRequest(messages: [try message(json, bodyText: bodyText(0), topic: topic, position: "")], isBatch: false)
    }

    /// `bodyText`: the body's JSON text as the request wrote it.
    private static func message(_ json: Any, bodyText: String?, topic: String, position: String) throws(Problem) -> OutgoingMessage {
        guard let object = json as? [String: Any], let rawBody = object["body"] else {
            throw Problem(description: "\(position)expected \(shape)")
        }
        let unknown = Set(object.keys).subtracting(["body", "attributes", "dedup_key", "group_key"])
        guard unknown.isEmpty else {
            throw Problem(description: "\(position)unknown field(s) \(unknown.sorted().joined(separator: ", ")); expected \(shape)")
        }
        let body: String
        if rawBody is NSNull {
            throw Problem(description: "\(position)body is null; give the message's text or JSON value (\"\" for an empty body)")
        } else if let text = rawBody as? String {
            body = text
        } else if let bodyText {
            body = bodyText
        } else {
            throw Problem(description: "\(position)body must be text or JSON")
        }
        var attributes: [String: String] = [:]
        if let rawAttributes = object["attributes"] {
            guard let map = rawAttributes as? [String: Any], let strings = map as? [String: String] else {
                throw Problem(description: "\(position)attributes must be an object of string values")
            }
            guard !strings.keys.contains("") else {
                throw Problem(description: "\(position)an attribute has an empty name; SQS message attributes need one")
            }
            attributes = strings
        }
        func text(_ key: String) throws(Problem) -> String? {
            guard let value = object[key] else { return nil }
            guard let string = value as? String, !string.isEmpty, string.utf8.count <= 128 else {
                throw Problem(description: "\(position)\(key) must be text of 1 to 128 bytes")
            }
            return string
        }
        return OutgoingMessage(
            topic: topic, body: body, attributes: attributes, dedupKey: try text("dedup_key"), groupKey: try text("group_key")
        )
    }
}
