internal import ArgumentParser
internal import FlintServer
internal import Foundation

/// The dead letters `flint deadletters replay` and `discard` act on: ids, or `--all` (of one
/// `--function`), sent to the daemon as `POST /v1/deadletters/ACTION` takes them.
struct DeadLetterSelection: ParsableArguments {
    @Argument(help: ArgumentHelp("Dead letter ids, as flint deadletters lists them.", valueName: "id"))
    var ids: [Int64] = []

    @Flag(help: "Every dead letter (of --function, if given).")
    var all = false

    @Option(help: "With --all: only this function's dead letters.")
    var function: String?

    /// Refuses a command line that selects nothing, or two things, for `action`.
    func check(action: String) throws {
        if all, !ids.isEmpty { throw ValidationError("give dead letter ids or --all, not both") }
        if !all, ids.isEmpty { throw ValidationError("give the ids of the dead letters to \(action) (flint deadletters lists them), or --all") }
        if function != nil, !all { throw ValidationError("--function goes with --all; ids name dead letters of any function") }
    }

    /// Asks the daemon to `action` ("replay", "discard") these dead letters, and returns its answer.
    func post<Answer: Decodable>(_ action: String, to client: DaemonClient, as: Answer.Type) async throws -> Answer {
        let request = all ? Body(all: true, function: function) : Body(ids: ids)
        let reply = try await client.send(
            "POST", "/v1/deadletters/\(action)", body: try JSONEncoder().encode(request),
            headers: ["Content-Type": "application/json"]
        )
        // A daemon started before this action existed has no such route: 405 (Allow: GET, for
        // the dead letter of that id) since Flint answers wrong methods so, plain 404 before.
        let isUnknownRoute = reply.status == 405
            || (reply.status == 404 && (try? JSONDecoder().decode([String: String].self, from: reply.body))?["message"] == "Not Found")
        if isUnknownRoute {
            throw CLIError("flint deadletters \(action): the running daemon is older than this flint and cannot \(action) dead letters; stop it, start it again with flint up, and run this again")
        }
        try DaemonClient.check(reply)
        return try JSONDecoding.decoder.decode(Answer.self, from: reply.body)
    }

    /// What to say of the ids given that the daemon found no dead letter for; nil when none.
    static func notDeadLetters(_ missing: [Int64], action: String) -> String? {
        guard !missing.isEmpty else { return nil }
        return "flint deadletters \(action): \(missing.map(String.init).joined(separator: ", ")) "
            + "\(missing.count == 1 ? "is not a dead letter" : "are not dead letters") (already replayed or discarded, or no such id); flint deadletters lists them"
    }

    /// The request's body.
    private struct Body: Encodable {
        var ids: [Int64]?
        var all: Bool?
        var function: String?
    }
}
