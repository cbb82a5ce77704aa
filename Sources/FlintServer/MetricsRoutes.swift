internal import FlintDispatch
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes

/// `GET /metrics`: the Prometheus text format.
///
/// On a loopback listener it needs no token, as Prometheus scrapes usually have none; on any
/// other address it needs the admin bearer token (Prometheus sends one with `authorization:
/// credentials_file:`), like the rest of what is not a public trigger route.
struct MetricsRoutes: Sendable {
    let metrics: DaemonMetrics
    let dispatcher: Dispatcher
    let bus: Bus
    let subscriptions: [BusSubscriptionLabels]
    let checkpointer: WALCheckpointer
    /// The admin token, when the listener is not loopback; nil when none is needed.
    let requiredToken: String?

    func register(on router: some RouterMethods<FlintRequestContext>) {
        router.get("/metrics") { request, _ in await scrape(request) }
    }

    private func scrape(_ request: Request) async -> Response {
        if let requiredToken, !AdminToken.authorizes(request.headers[.authorization], requiredToken) {
            return .message(
                .unauthorized,
                "/metrics needs Authorization: Bearer <token> when Flint listens on a non-loopback address; the token is in the project's .flint/admin-token",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        let depths: [String: SubscriptionDepth]
        do {
            depths = try await Offload.run { [bus] in try bus.depths() }
        } catch {
            return .message(.internalServerError, "cannot read the queue depths from the bus: \(error); scrape again, and see flint up's log if it persists")
        }
        let body = metrics.exposition(
            functions: dispatcher.functions, dispatcher: dispatcher, subscriptions: subscriptions, depths: depths,
            wal: checkpointer.status
        )
        return .bytes(.ok, Data(body), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
