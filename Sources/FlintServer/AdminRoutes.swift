internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes

/// The admin API under `/v1` (bearer token required) and the public `/healthz`.
struct AdminRoutes: Sendable {
    let dispatcher: Dispatcher
    let ledger: InvocationLedger
    let writer: LedgerWriter
    let triggers: [TriggerDefinition]
    let adminToken: String
    let bus: Bus
    /// What `/v1/usage` prices invocations at.
    let pricing: PriceTable
    /// How long the ledger keeps records (`ledger.retention`), which `/v1/usage` reports.
    let ledgerRetention: Duration

    func register(on router: some RouterMethods<FlintRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(["status": "ok"]) }
        // Load balancers and uptime checks often probe with HEAD.
        router.head("/healthz") { _, _ in Response.json(["status": "ok"]) }

        let v1 = router.group("/v1").add(middleware: BearerTokenMiddleware(token: adminToken))
        v1.get("/functions") { _, _ in listFunctions() }
        v1.get("/invocations") { request, _ in try await listInvocations(request) }
        v1.get("/invocations/{id}") { _, context in try await invocation(context) }
        v1.get("/invocations/{id}/logs") { _, context in try await logs(context) }
        BusRoutes(bus: bus).register(on: v1)
        UsageRoutes(ledger: ledger, writer: writer, pricing: pricing, retention: ledgerRetention).register(on: v1)
    }

    private func listFunctions() -> Response {
        let views = dispatcher.functions.map { function in
            FunctionView(
                function, running: dispatcher.running(function.name),
                triggers: triggers.filter { $0.function == function.name }.map(\.name)
            )
        }
        return .json(["functions": views])
    }

    private func listInvocations(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let function = query["function"].map(String.init)
        let limitText = query["limit"].map(String.init) ?? "50"
        guard let limit = Int(limitText), (1 ... 1000).contains(limit) else {
            return .message(.badRequest, "limit must be a whole number from 1 to 1000, not \"\(limitText)\"")
        }
        await writer.flushed()
        let records = try await ledger.recent(function: function, limit: limit)
        return .json(["invocations": records.map(InvocationView.init)])
    }

    private func invocation(_ context: FlintRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        await writer.flushed()
        // An asynchronous invocation is a delivery on the bus until its last attempt ends.
        if let status = try await Offload.run({ [bus] in try bus.status(messageID: id) }) {
            let latest = try await ledger.find(id: status.lastInvocationID ?? id)
            return .json(AsyncInvocationView(id: id, status: status, latest: latest))
        }
        guard let record = try await ledger.find(id: id) else {
            return .message(.notFound, "no invocation has id \(id) (flint invocations lists recent ones)")
        }
        return .json(InvocationView(record))
    }

    private func logs(_ context: FlintRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        await writer.flushed()
        guard let log = try await ledger.log(id: id) else {
            return .message(.notFound, "no invocation has id \(id) (flint invocations lists recent ones)")
        }
        return .bytes(.ok, log, contentType: "text/plain; charset=utf-8")
    }
}

/// Refuses requests without `Authorization: Bearer <admin token>`.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = FlintRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard AdminToken.authorizes(request.headers[.authorization], token) else {
            return .message(
                .unauthorized,
                "the admin API needs Authorization: Bearer <token>; the token is in the project's .flint/admin-token (the flint CLI sends it for you)",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        return try await next(request, context)
    }
}
