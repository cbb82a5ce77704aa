@testable import FlintServer
import Hummingbird

/// A fallback responder type for naming `FlintResponder`'s static members in tests.
struct NeverResponder: HTTPResponder {
    typealias Context = FlintRequestContext
    func respond(to request: Request, context: FlintRequestContext) async throws -> Response {
        throw HTTPError(.notFound)
    }
}
