internal import FlintCore
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes

/// The bus's part of the admin API: publishing, and dead letters.
struct BusRoutes: Sendable {
    let bus: Bus

    /// The largest publish request: a batch of messages of up to 1 MiB each.
    static let requestLimit = 16 * 1024 * 1024

    func register(on v1: RouterGroup<FlintRequestContext>) {
        v1.post("/topics/{topic}/messages") { request, context in try await publish(request, context: context) }
        v1.get("/deadletters") { request, _ in try await deadLetters(request) }
        v1.get("/deadletters/{id}") { _, context in try await deadLetter(context.parameters.get("id") ?? "") }
        v1.post("/deadletters/replay") { request, _ in try await replay(request) }
        v1.post("/deadletters/discard") { request, _ in try await discard(request) }
    }

    private func publish(_ request: Request, context: FlintRequestContext) async throws -> Response {
        // Hummingbird hands path parameters over as they were sent: percent-encoded.
        let raw = context.parameters.get("topic") ?? ""
        let topic = raw.percentDecoded ?? raw
        if topic.hasPrefix(TopicName.reservedPrefix) {
            return .message(.forbidden, "topic \(topic) is Flint's own (names starting with \(TopicName.reservedPrefix) are reserved); invoke the function with X-Amz-Invocation-Type: Event instead")
        }
        guard let body = try await RequestBody.collect(request, limit: Self.requestLimit) else {
            return .message(.contentTooLarge, "a publish request may be at most \(Self.requestLimit) bytes; split the batch")
        }
        let parsed: PublishRequest
        do {
            parsed = try PublishRequest.parse(body, topic: topic)
        } catch {
            return .message(.badRequest, error.description)
        }
        let receipts: [PublishReceipt]
        do {
            receipts = try await bus.publish(parsed.messages)
        } catch {
            // A list is refused whole: its refusal names the message to fix, as a parse error does.
            let position = parsed.isBatch ? error.culprit(in: parsed.messages).map { "message \($0 + 1): " } ?? "" : ""
            switch error {
            case .unknownTopic: return .message(.notFound, error.description)
            case .bodyTooLarge: return .message(.contentTooLarge, position + error.description)
            case .notJSON, .nulCharacter: return .message(.badRequest, position + error.description)
            case .databaseLocked: return .message(.serviceUnavailable, error.description, headers: [.retryAfter: "1"])
            case .databaseReadOnly, .database: return .message(.internalServerError, error.description)
            }
        }
        let views = receipts.map(PublishReceiptView.init)
        if parsed.isBatch { return .json(["messages": views], status: .created) }
        return .json(views[0], status: .created)
    }

    private func deadLetter(_ idText: String) async throws -> Response {
        guard let id = Int64(idText) else {
            return .message(.badRequest, "a dead letter id is a whole number, not \"\(idText)\"; GET /v1/deadletters lists them")
        }
        guard let letter = try await Offload.run({ [bus] in try bus.deadLetter(id: id) }) else {
            return .message(.notFound, "\(id) is not a dead letter (already replayed or discarded, or no such id); GET /v1/deadletters lists them")
        }
        return .json(letter)
    }

    private func deadLetters(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let function = query["function"].map(String.init)
        let limitText = query["limit"].map(String.init) ?? "100"
        guard let limit = Int(limitText), (1 ... 10_000).contains(limit) else {
            return .message(.badRequest, "limit must be a whole number from 1 to 10000, not \"\(limitText)\"")
        }
        let letters = try await Offload.run { [bus] in try bus.deadLetters(function: function, limit: limit) }
        return .json(["deadletters": letters])
    }

    private func replay(_ request: Request) async throws -> Response {
        try await answer(request, action: "replay") { [bus] ids, function in
            let (replayed, retired, renumbered) = try await Offload.run { try bus.replayNamingRetired(ids: ids, function: function) }
            let missing = ids.map { Set($0).subtracting(replayed).subtracting(retired).sorted() } ?? []
            return .json(ReplayView(
                replayed: replayed, missing: missing, retired: retired,
                renumbered: Dictionary(uniqueKeysWithValues: renumbered.map { ("\($0.key)", $0.value) })))
        }
    }

    private func discard(_ request: Request) async throws -> Response {
        try await answer(request, action: "discard") { [bus] ids, function in
            let discarded = try await Offload.run { try bus.discard(ids: ids, function: function) }
            let missing = ids.map { Set($0).subtracting(discarded).sorted() } ?? []
            return .json(DiscardView(discarded: discarded, missing: missing))
        }
    }

    /// Reads the dead letters a replay or discard `request` selects (ids, nil for all; a
    /// function) and answers with `act`'s response, or refuses a body it cannot take.
    private func answer(
        _ request: Request, action: String, _ act: (_ ids: [Int64]?, _ function: String?) async throws -> Response
    ) async throws -> Response {
        guard let body = try await RequestBody.collect(request, limit: DeadLetterRequest.limit) else {
            return .message(.contentTooLarge, "a \(action) request may be at most 1 MiB; \(DeadLetterRequest.usage)")
        }
        let parsed: DeadLetterRequest
        do {
            parsed = try DeadLetterRequest.parse(body)
        } catch {
            return .message(.badRequest, error.description)
        }
        return try await act(parsed.ids, parsed.function)
    }
}

struct PublishReceiptView: Codable, Sendable {
    var id: String
    var duplicate: Bool
    init(_ receipt: PublishReceipt) {
        id = receipt.messageID
        duplicate = receipt.duplicate
    }
}

/// The answer to a replay: what was queued again, and requested ids that are not dead letters.
public struct ReplayView: Codable, Sendable, Hashable {
    public var replayed: [Int64]
    /// Ids given that are not dead letters (already replayed or discarded, or no such id).
    public var missing: [Int64]
    /// Dead letters left dead: their trigger or function was removed, so nothing would take them.
    public var retired: [Int64]
    /// The new delivery id of each replayed dead letter of a FIFO group (it goes to the end of
    /// its group under a new id), by the id it was replayed by: `{"126": 166}`.
    public var renumbered: [String: Int64]

    public init(replayed: [Int64], missing: [Int64], retired: [Int64], renumbered: [String: Int64] = [:]) {
        self.replayed = replayed
        self.missing = missing
        self.retired = retired
        self.renumbered = renumbered
    }

    /// A daemon from before `retired` or `renumbered` leaves them out: none, then.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        replayed = try container.decode([Int64].self, forKey: .replayed)
        missing = try container.decode([Int64].self, forKey: .missing)
        retired = try container.decodeIfPresent([Int64].self, forKey: .retired) ?? []
        renumbered = try container.decodeIfPresent([String: Int64].self, forKey: .renumbered) ?? [:]
    }
}
