internal import FlintCore
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes

/// `GET /v1/usage?since=24h&function=F`: what the functions used and cost over a period.
struct UsageRoutes: Sendable {
    let ledger: InvocationLedger
    let writer: LedgerWriter
    let pricing: PriceTable
    let retention: Duration

    func register(on v1: RouterGroup<FlintRequestContext>) {
        v1.get("/usage") { request, _ in try await usage(request) }
    }

    private func usage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let function = query["function"].map(String.init)
        if function?.isEmpty == true {
            return .message(.badRequest, "function must name a function (flint ls lists them), or be left out for all")
        }
        let now = Date()
        let since: Date
        do {
            since = try UsageSince.parse(query["since"].map(String.init) ?? UsageSince.defaultText).start(now: now)
        } catch {
            return .message(.badRequest, "since \(error)")
        }
        // Invocations that ended before this request are counted, even if not committed yet.
        await writer.flushed()
        let measurement = try await ledger.usage(since: since, until: now, function: function)
        return .json(UsageView(UsageReport(since: since, until: now, prices: pricing, retention: retention, measurement: measurement)))
    }
}
