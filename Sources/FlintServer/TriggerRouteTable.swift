internal import Foundation
internal import FlintCore

/// The HTTP triggers' routes, matched most specific first (literal segments beat parameters).
struct TriggerRouteTable: Sendable {
    struct Route: Sendable {
        let trigger: TriggerDefinition
        let http: HTTPTrigger
        /// API Gateway's `routeKey`: `POST /echo/{name}`.
        var routeKey: String { "\(http.method) \(http.path.description)" }
    }

    struct Match: Sendable {
        let route: Route
        let pathParameters: [String: String]
    }

    private let routes: [Route]

    init(triggers: [TriggerDefinition]) {
        routes = triggers.compactMap { trigger -> Route? in
            guard case .http(let http) = trigger.source else { return nil }
            return Route(trigger: trigger, http: http)
        }
        // Most specific first, so `/items/new` wins over `/items/{id}`.
        .sorted { $1.http.path.specificity.lexicographicallyPrecedes($0.http.path.specificity) }
    }

    var isEmpty: Bool { routes.isEmpty }

    /// The route for `method` and the raw (percent-encoded) `path`, or nil.
    func match(method: String, path: String) -> Match? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment -> Substring in
            segment.percentDecoded.map { Substring($0) } ?? segment
        }
        for route in routes where route.http.method == "ANY" || route.http.method == method {
            if let parameters = route.http.path.match(segments) {
                return Match(route: route, pathParameters: parameters)
            }
        }
        return nil
    }
}
