internal import FlintCore
internal import Hummingbird
internal import HTTPTypes
internal import Synchronization

/// Flint's own routes as they were registered, for the answer to a request that matched none:
/// a path Flint serves with other methods is 405 with `Allow`, not 404, which would say the path
/// (a topic's `messages`, say) does not exist.
final class RegisteredRoutes: Sendable {
    private let routes = Mutex<[(pattern: RoutePattern, method: HTTPRequest.Method)]>([])

    /// Records a route; one whose path is no trigger-style pattern (a wildcard) is not recorded.
    func add(_ path: RouterPath, method: HTTPRequest.Method) {
        guard let pattern = try? RoutePattern(path.description) else { return }
        routes.withLock { $0.append((pattern, method)) }
    }

    /// The methods of the routes `path` (as sent, not decoded) matches, in the order registered.
    func methods(at path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            var methods: [HTTPRequest.Method] = []
            for route in routes where route.pattern.match(segments) != nil && !methods.contains(route.method) {
                methods.append(route.method)
            }
            return methods
        }
    }
}

/// A router that tells `registered` of every route added through it, its groups' included
/// (a group adds its routes through its parent, with the whole path).
struct RecordingRouter: RouterMethods {
    let router: Router<FlintRequestContext>
    let registered: RegisteredRoutes

    @discardableResult
    func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == FlintRequestContext {
        registered.add(path, method: method)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, FlintRequestContext>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
