import NIOHTTP1

/// A request to the Lambda Runtime API (base path `/2018-06-01`), decoded from its method and URI.
enum RuntimeAPIRoute: Equatable {
    /// `GET /runtime/invocation/next`: the runtime waits for its next event.
    case next
    /// `POST /runtime/invocation/{id}/response`: the invocation's result.
    case response(requestID: Substring)
    /// `POST /runtime/invocation/{id}/error`: the invocation failed.
    case error(requestID: Substring)
    /// `POST /runtime/init/error`: the runtime could not start.
    case initError
    /// A known path with the wrong method.
    case methodNotAllowed
    case notFound

    static let prefix = "/2018-06-01/runtime/"

    init(method: HTTPMethod, uri: String) {
        guard uri.hasPrefix(Self.prefix) else {
            self = .notFound
            return
        }
        var path = uri.dropFirst(Self.prefix.utf8.count)
        if let query = path.firstIndex(of: "?") { path = path[..<query] }
        let route: RuntimeAPIRoute
        let expected: HTTPMethod
        if path == "invocation/next" {
            (route, expected) = (.next, .GET)
        } else if path == "init/error" {
            (route, expected) = (.initError, .POST)
        } else if path.hasPrefix("invocation/"), let (id, isResponse) = Self.invocation(path.dropFirst("invocation/".utf8.count)) {
            (route, expected) = (isResponse ? .response(requestID: id) : .error(requestID: id), .POST)
        } else {
            self = .notFound
            return
        }
        self = method == expected ? route : .methodNotAllowed
    }

    /// `{id}/response` or `{id}/error`: the id and whether it is a response.
    private static func invocation(_ path: Substring) -> (Substring, Bool)? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let id = path[..<slash]
        guard !id.isEmpty, !id.contains("/") else { return nil }
        switch path[path.index(after: slash)...] {
        case "response": return (id, true)
        case "error": return (id, false)
        default: return nil
        }
    }

    /// Whether the request carries a body worth keeping.
    var takesBody: Bool {
        switch self {
        case .response, .error, .initError: true
        case .next, .methodNotAllowed, .notFound: false
        }
    }
}
