internal import FlintCore
internal import FlintDispatch
internal import FlintRunner
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore

/// `GET /v1/functions/{name}/logs` (admin token): a function's handler logs as
/// newline-delimited `LogStreamRecord`s — the stored logs of its recent invocations (`limit`), or
/// one invocation's (`invocation`), or with `follow=true` its lines live as handlers write them.
struct FunctionLogRoutes: Sendable {
    let hub: LogHub
    let dispatcher: Dispatcher
    let ledger: InvocationLedger
    let writer: LedgerWriter
    let bus: Bus
    let adminToken: String

    static let contentType = "application/x-ndjson"

    func register(on router: some RouterMethods<FlintRequestContext>) {
        router.group("/v1").add(middleware: BearerTokenMiddleware(token: adminToken))
            .get("/functions/{name}/logs") { request, context in try await logs(request, context) }
    }

    private func logs(_ request: Request, _ context: FlintRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        let query = request.uri.queryParameters
        let invocation = query["invocation"].map(String.init)
        if invocation?.isEmpty == true {
            return .message(.badRequest, "invocation must name an invocation id (flint invocations lists recent ones)")
        }
        let isLoaded = dispatcher.function(named: name) != nil
        switch query["follow"].map(String.init) {
        case nil, "false":
            return try await stored(
                function: name, isLoaded: isLoaded, invocation: invocation, limitText: query["limit"].map(String.init) ?? "20")
        case "true":
            guard isLoaded else { return .message(.notFound, "no function is named \(name) (flint ls lists them)") }
            return try await follow(function: name, invocation: invocation, until: context.connectionClosed)
        case let other?:
            return .message(.badRequest, "follow must be true or false, not \"\(other)\"")
        }
    }

    // MARK: Stored logs

    /// `isLoaded`: whether the project has `function` now. One it no longer has (removed, and
    /// reloaded) still has the logs its invocations left in the ledger.
    private func stored(function: String, isLoaded: Bool, invocation: String?, limitText: String) async throws -> Response {
        guard let limit = Int(limitText), (1 ... 1000).contains(limit) else {
            return .message(.badRequest, "limit must be a whole number from 1 to 1000, not \"\(limitText)\"")
        }
        await writer.flushed()
        if !isLoaded, try await ledger.recent(function: function, limit: 1).isEmpty {
            return .message(.notFound, "no function is named \(function), and the ledger has no invocation of one (flint ls lists them)")
        }
        let records: [InvocationRecord]
        if let invocation {
            guard let record = try await ledger.find(id: invocation) else {
                return .message(.notFound, "function \(function) has no finished invocation with id \(invocation) (flint invocations lists recent ones)")
            }
            guard record.function == function else { return Self.ofAnotherFunction(invocation, record.function, not: function) }
            records = [record]
        } else {
            records = try await ledger.recent(function: function, limit: limit).reversed()
        }
        var body: [UInt8] = []
        for record in records {
            body += try await storedLines(of: record)
        }
        body += LogStreamRecord.end("complete")
        return .bytes(.ok, Data(body), contentType: Self.contentType)
    }

    private func storedLines(of record: InvocationRecord) async throws -> [UInt8] {
        let log = try await ledger.log(id: record.id) ?? Data()
        return LogStreamRecord.storedLines(log, function: record.function, invocation: record.id, startedAt: record.startedAt)
    }

    // MARK: Following

    /// Subscribes first, then looks for the invocation: it is running (the subscription starts
    /// with the lines it wrote already, and its end will reach the subscription), or finished (the hub ends an invocation only once its record is with the
    /// ledger writer, so after `flushed()` the ledger has it), or waiting on the bus, or unknown.
    private func follow(function: String, invocation: String?, until connectionClosed: EventLoopFuture<Void>) async throws -> Response {
        let subscription = hub.subscribe(function: function, invocation: invocation)
        // A client gone (Ctrl-C on `flint logs -f`) ends the subscription, even when no line comes.
        connectionClosed.whenComplete { _ in subscription.cancel() }
        func refused(_ response: Response) -> Response {
            subscription.cancel()
            return response
        }
        if let invocation {
            // Whose it is: a running invocation's function, else a finished one's (stored), else
            // a queued one's (or one that began meanwhile).
            var owner = hub.runningFunction(of: invocation)
            if owner == nil {
                await writer.flushed()
                if let record = try await ledger.find(id: invocation) {
                    subscription.cancel()
                    guard record.function == function else { return Self.ofAnotherFunction(invocation, record.function, not: function) }
                    let body = try await storedLines(of: record) + LogStreamRecord.end("invocation-ended")
                    return .bytes(.ok, Data(LogStreamRecord.following(function: function, invocation: invocation) + body), contentType: Self.contentType)
                }
                let queued = try await Offload.run { [bus] in try bus.status(messageID: invocation) }.flatMap { status in
                    status.state == .ready || status.state == .leased ? status.function : nil
                }
                owner = queued ?? hub.runningFunction(of: invocation)
            }
            guard let owner else {
                return refused(.message(.notFound, "function \(function) has no running, queued or finished invocation with id \(invocation) (flint invocations lists recent ones)"))
            }
            if owner != function { return refused(Self.ofAnotherFunction(invocation, owner, not: function)) }
        }
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: LogStreamRecord.following(function: function, invocation: invocation)))
            while let event = await subscription.next() {
                try await writer.write(ByteBuffer(bytes: LogStreamRecord.of(event)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: Self.contentType, .cacheControl: "no-cache"], body: body)
    }

    private static func ofAnotherFunction(_ invocation: String, _ owner: String, not function: String) -> Response {
        .message(.notFound, "invocation \(invocation) is of function \(owner), not \(function): run flint logs \(owner) --invocation \(invocation)")
    }
}
