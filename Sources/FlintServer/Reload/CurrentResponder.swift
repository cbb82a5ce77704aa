internal import Hummingbird
internal import Synchronization

/// The listener's responder, replaced whole when the project is reloaded: each request is answered
/// by the configuration that was current when it arrived, and the listener itself never closes.
final class CurrentResponder: HTTPResponder, Sendable {
    typealias Context = FlintRequestContext

    private let current: Mutex<any HTTPResponder<FlintRequestContext>>

    init(_ responder: any HTTPResponder<FlintRequestContext>) {
        current = Mutex(responder)
    }

    func replace(with responder: any HTTPResponder<FlintRequestContext>) {
        current.withLock { $0 = responder }
    }

    @Sendable func respond(to request: Request, context: FlintRequestContext) async throws -> Response {
        let responder = current.withLock { $0 }
        return try await responder.respond(to: request, context: context)
    }
}
