internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import Logging

/// Serves HTTP trigger routes: request → API Gateway v2 event → invocation → mapped response.
struct TriggerGateway: Sendable {
    let routes: TriggerRouteTable
    let dispatcher: Dispatcher
    let adminToken: String
    let identity: LambdaIdentity
    let asyncInvoker: AsyncInvoker
    let logger: Logger
    /// Events that cannot be queued (a full disk) are refused one by one, and logged once in 10 s.
    let queueFailureWarnings = WarningThrottle(interval: 10)

    /// Answers `request` if a trigger route matches it, else returns nil.
    func respond(to request: Request, context: FlintRequestContext) async throws -> Response? {
        guard let match = routes.match(method: request.method.rawValue, path: request.uri.path) else { return nil }
        return try await invoke(match, request: request, context: context, invocationID: InvocationRequest.newID())
    }

    private func invoke(_ match: TriggerRouteTable.Match, request: Request, context: FlintRequestContext, invocationID: String) async throws -> Response {
        let trigger = match.route.trigger
        if match.route.http.auth == .token {
            guard AdminToken.authorizes(request.headers[.authorization], adminToken) else {
                return .message(.unauthorized, "Unauthorized", headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        var isAsynchronous = false
        if let invocationType = request.headers[.flintInvocationType] {
            switch invocationType.lowercased() {
            case "requestresponse": isAsynchronous = false
            case "event": isAsynchronous = true
            default: return .message(.badRequest, "X-Flint-Invocation-Type \(invocationType) is not one of RequestResponse, Event")
            }
        }
        guard let body = try await RequestBody.collect(request) else {
            return .message(.contentTooLarge, "Request Entity Too Large")
        }
        let snapshot = HTTPRequestSnapshot(
            method: request.method.rawValue,
            rawPath: request.uri.path,
            rawQueryString: request.uri.query ?? "",
            headers: Self.eventHeaders(of: request, adminToken: adminToken, sourceIP: context.sourceIP, port: context.serverPort),
            body: body,
            sourceIP: context.sourceIP,
            protocolVersion: context.protocolVersion,
            host: request.head.authority
        )
        let event = APIGatewayV2Event.encode(
            snapshot, routeKey: match.route.routeKey, pathParameters: match.pathParameters,
            requestID: invocationID, time: Date(), accountID: identity.account, apiID: identity.apiID
        )
        if isAsynchronous {
            return await enqueue(event, trigger: trigger, invocationID: invocationID)
        }
        let invocation = InvocationRequest(id: invocationID, function: trigger.function, trigger: trigger.name, source: .http, payload: event)
        let result: InvocationResult
        do {
            result = try await dispatcher.invoke(invocation)
        } catch {
            return Self.response(for: error)
        }
        guard result.record.outcome.isSuccess else { return Response(APIGatewayV2Response.failure).identified(by: invocationID) }
        let (parts, malformation) = APIGatewayV2Response.mapping(output: result.output)
        if let malformation {
            // The invocation itself went well (its record says ok); only its answer was refused.
            logger.warning(
                "http trigger \(trigger.name): invocation \(invocationID) returned a malformed response (\(malformation)); answered 500, as API Gateway does",
                metadata: ["flint.trigger": "\(trigger.name)", "flint.invocation": "\(invocationID)"])
        }
        return Response(parts).identified(by: invocationID)
    }

    /// The request's headers as the event carries them.
    ///
    /// - `host` comes first, as API Gateway sends it: the HTTP/1 parser moves it out of the
    ///   header fields into the request's authority.
    /// - An `Authorization` field that holds the admin token is left out, on any route: handlers
    ///   never see the admin token, and an `auth: token` route is called with it.
    /// - The forwarding headers API Gateway adds: the peer appended to `x-forwarded-for`, and
    ///   `x-forwarded-proto` / `x-forwarded-port` replaced by Flint's own (`http`, the listener's
    ///   port). Frameworks behind Lambda adapters (Mangum, serverless-http) build absolute URLs and
    ///   redirects from them, and assume `https` without them.
    static func eventHeaders(of request: Request, adminToken: String, sourceIP: String, port: Int?) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 4)
        if let authority = request.head.authority, let host = HTTPField.Name("host"), request.headers[host] == nil {
            headers.append((name: "host", value: authority))
        }
        for field in request.headers {
            if field.name == .authorization && AdminToken.authorizes(field.value, adminToken) { continue }
            if field.name == .forwardedProto || field.name == .forwardedPort { continue }
            headers.append((name: field.name.rawName, value: field.value))
        }
        headers.append((name: "x-forwarded-for", value: sourceIP))
        headers.append((name: "x-forwarded-proto", value: "http"))
        if let port { headers.append((name: "x-forwarded-port", value: String(port))) }
        return headers
    }

    /// `202` once the event is on the bus; the invocation's progress is at `/v1/invocations/{id}`.
    private func enqueue(_ event: Data, trigger: TriggerDefinition, invocationID: String) async -> Response {
        do {
            try await asyncInvoker.enqueue(
                function: trigger.function, payload: event, invocationID: invocationID,
                origin: MessageOrigin(source: .http, trigger: trigger.name)
            )
        } catch {
            if case .bodyTooLarge = error { return .message(.contentTooLarge, "Request Entity Too Large (asynchronous events may be at most 1 MiB)") }
            // The client gets API Gateway's bare 503 (its route may be public); the operator the why.
            if queueFailureWarnings.allows() {
                logger.warning(
                    "http trigger \(trigger.name): could not queue an asynchronous event: \(error); answering 503 until it can (logged at most every 10 s)",
                    metadata: ["flint.trigger": "\(trigger.name)"])
            }
            return .message(.serviceUnavailable, "Service Unavailable", headers: [.retryAfter: "1"])
        }
        return .json(["invocation_id": invocationID], status: .accepted).identified(by: invocationID)
    }

    static func response(for error: DispatchError) -> Response {
        if error.isOverloaded {
            return .message(.tooManyRequests, "Too Many Requests", headers: [.retryAfter: "1"])
        }
        if error.isShuttingDown {
            return .message(.serviceUnavailable, "Service Unavailable", headers: [.retryAfter: "5"])
        }
        return .message(.internalServerError, "Internal Server Error")
    }
}

extension Response {
    /// This response with `X-Flint-Invocation-Id`: only answers of an invocation that ran (or
    /// was queued) carry one, so that every id a client sees has a record.
    func identified(by invocationID: String) -> Response {
        var response = self
        response.headers[.flintInvocationID] = invocationID
        return response
    }

    /// The HTTP response an API Gateway mapping produced.
    init(_ parts: HTTPResponseParts) {
        var fields = HTTPFields()
        for header in parts.headers {
            if let name = HTTPField.Name(header.name) {
                fields.append(HTTPField(name: name, value: header.value))
            }
        }
        self = .bytes(HTTPResponse.Status(code: parts.status), parts.body, headers: fields)
    }
}
