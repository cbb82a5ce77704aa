internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes

/// The Lambda Invoke API (`/2015-03-31/functions`), as boto3 and the aws CLI call it.
struct LambdaInvokeRoutes: Sendable {
    let dispatcher: Dispatcher
    let identity: LambdaIdentity
    /// Off a loopback listener, the admin token: as a bearer token or a SigV4 secret.
    let authentication: LambdaAPIAuthentication
    /// Each function's `LastModified`: when its definition last changed.
    let modifiedAt: [String: Date]
    let asyncInvoker: AsyncInvoker

    func register(on router: some RouterMethods<FlintRequestContext>) {
        let functions = router.group("/2015-03-31/functions")
        // Hummingbird matches `/2015-03-31/functions/` here too, as boto3 sends it.
        functions.get { request, _ in try listFunctions(request) }
        functions.post("/{name}/invocations") { request, context in
            try await invoke(request, context: context)
        }
        functions.get("/{name}") { request, context in
            describe(request, context: context) { function in
                LambdaAPI.getFunctionBody(function, region: identity.region, account: identity.account, lastModified: modifiedAt[function.name])
            }
        }
        functions.get("/{name}/configuration") { request, context in
            describe(request, context: context) { function in
                LambdaAPI.functionConfigurationBody(
                    function, region: identity.region, account: identity.account, lastModified: modifiedAt[function.name])
            }
        }
    }

    /// GetFunction and GetFunctionConfiguration: `body` of the function the path names.
    private func describe(_ request: Request, context: FlintRequestContext, body: (FunctionManifest) -> Data) -> Response {
        var response: Response
        if let refusal = authorizeWithoutBody(request) {
            response = refusal
        } else {
            switch function(named: context.parameters.get("name") ?? "", request: request) {
            case .success(let (function, _)): response = .bytes(.ok, body(function))
            case .failure(let refusal): response = refusal.response
            }
        }
        response.headers[.amzRequestID] = InvocationRequest.newID()
        return response
    }

    /// A refusal as a `Result`'s failure.
    private struct Refusal: Error {
        var response: Response
    }

    /// The function a path component names (a name, `name:$LATEST`, or an ARN, with any
    /// `?Qualifier=`) and the qualifier named, or the Lambda error that says why there is none.
    private func function(named component: String, request: Request) -> Result<(FunctionManifest, qualifier: String?), Refusal> {
        guard let reference = LambdaAPI.functionReference(fromPathComponent: component) else {
            let shown = component.percentDecoded ?? component
            return .failure(Refusal(response: error(
                .validation,
                "1 validation error detected: Value '\(shown)' at 'functionName' failed to satisfy constraint: "
                    + "Member must satisfy regular expression pattern: \(LambdaAPI.functionNamePattern)")))
        }
        let arn = LambdaAPI.functionARN(name: reference.name, region: identity.region, account: identity.account)
        // A qualifier may come in the name (`echo:$LATEST`) or as ?Qualifier=; Flint has only $LATEST.
        let qualifiers = [reference.qualifier, request.uri.queryParameters["Qualifier"].map(String.init)].compactMap { $0 }
        guard let function = dispatcher.function(named: reference.name) else {
            // As it was read: `function:x` is the function "function", version x.
            let named = qualifiers.first.map { "\(arn):\($0)" } ?? arn
            return .failure(Refusal(response: error(.resourceNotFound, "Function not found: \(named)")))
        }
        if qualifiers.count == 2, qualifiers[0] != qualifiers[1] {
            return .failure(Refusal(response: error(
                .invalidParameterValue,
                "The derived qualifier from the function name (\(qualifiers[0])) does not match the specified qualifier (\(qualifiers[1]))")))
        }
        for qualifier in qualifiers where qualifier != "$LATEST" {
            return .failure(Refusal(response: error(.resourceNotFound, "Function not found: \(arn):\(qualifier) (Flint has only $LATEST)")))
        }
        return .success((function, qualifiers.first))
    }

    /// ListFunctions, a page at a time (`MaxItems`, `Marker`) as Lambda pages it.
    private func listFunctions(_ request: Request) throws -> Response {
        if let refusal = authorizeWithoutBody(request) { return refusal }
        let query = request.uri.queryParameters
        var maxItems = LambdaAPI.defaultListPageSize
        if let text = query["MaxItems"] {
            guard let value = Int(String(text)), LambdaAPI.listPageSizeRange.contains(value) else {
                return error(.invalidParameterValue, "MaxItems must be a whole number from 1 to 10000, not \(text)")
            }
            maxItems = value
        }
        let page = LambdaAPI.listPage(of: dispatcher.functions, marker: query["Marker"].map(String.init), maxItems: maxItems)
        let body = LambdaAPI.listFunctionsBody(
            page.functions, region: identity.region, account: identity.account, lastModified: { modifiedAt[$0.name] }, nextMarker: page.nextMarker
        )
        return .bytes(.ok, body)
    }

    /// Every answer, refusals included, names the request and the version, as Lambda's do.
    private func invoke(_ request: Request, context: FlintRequestContext) async throws -> Response {
        let requestID = InvocationRequest.newID()
        var response = try await invoke(request, context: context, requestID: requestID)
        response.headers[.amzRequestID] = requestID
        response.headers[.amzExecutedVersion] = "$LATEST"
        return response
    }

    private func invoke(_ request: Request, context: FlintRequestContext, requestID: String) async throws -> Response {
        // A signature covers the body's hash: the body is read first (once) to check one, within
        // a budget for bodies not yet authenticated.
        var signedPayload: Data?
        switch authentication.decide(request) {
        case .allowed:
            break
        case .refused(let kind, let message):
            return error(kind, message)
        case .signed(let signature):
            let held = min(request.headers[.contentLength].flatMap { Int($0) } ?? HTTPLimits.requestBody, HTTPLimits.requestBody)
            guard LambdaAPIAuthentication.unauthenticatedBodies.take(held) else {
                return error(.tooManyRequests, "Too many signed requests are sending their bodies at once; try again")
            }
            defer { LambdaAPIAuthentication.unauthenticatedBodies.giveBack(held) }
            guard let payload = try await RequestBody.collect(request) else {
                return tooLarge(asynchronous: request.headers[.amzInvocationType] == "Event")
            }
            if let refusal = authentication.verify(signature, of: request, body: payload) {
                return error(.invalidSignature, refusal)
            }
            signedPayload = payload
        }
        let function: FunctionManifest
        var caller = LambdaCallerContext()
        switch self.function(named: context.parameters.get("name") ?? "", request: request) {
        case .success(let (found, qualifier)): (function, caller.qualifier) = (found, qualifier)
        case .failure(let refusal): return refusal.response
        }
        if let header = request.headers[.amzClientContext] {
            guard let clientContext = LambdaAPI.clientContext(fromHeader: header) else {
                return error(
                    .invalidRequestContent,
                    "Client context must be a valid Base64-encoded JSON object of at most \(LambdaAPI.clientContextLimit) bytes")
            }
            caller.clientContext = clientContext
        }
        // DryRun checks the request as RequestResponse would, and runs nothing.
        let isAsynchronous: Bool
        var isDryRun = false
        switch request.headers[.amzInvocationType] ?? "RequestResponse" {
        case "RequestResponse":
            isAsynchronous = false
        case "DryRun":
            (isAsynchronous, isDryRun) = (false, true)
        case "Event":
            isAsynchronous = true
        case let other:
            return error(.invalidRequestContent, "InvocationType \(other) is not one of RequestResponse, Event, DryRun")
        }
        // Only a synchronous invocation has a log to return; the value is checked whatever the type, as Lambda's is.
        let wantsLogTail: Bool
        switch request.headers[.amzLogType] ?? "None" {
        case "None": wantsLogTail = false
        case "Tail": wantsLogTail = true
        case let other: return error(.invalidParameterValue, "LogType \(other) is not one of None, Tail")
        }
        var collected = signedPayload
        if collected == nil { collected = try await RequestBody.collect(request) }
        guard let payload = collected else { return tooLarge(asynchronous: isAsynchronous) }
        if !payload.isEmpty, !JSONSyntax.isValue(payload) {
            return error(.invalidRequestContent, "Could not parse request body into json: the payload is not valid JSON (or nests deeper than \(JSONSyntax.maximumDepth) levels)")
        }
        if isDryRun { return Response(status: .noContent) }
        // No payload is the empty object, as Lambda gives it to the handler (boto3 without `Payload`).
        let event = payload.isEmpty ? Data("{}".utf8) : payload
        if isAsynchronous {
            return await enqueue(event, function: function.name, requestID: requestID)
        }
        var invocation = InvocationRequest(id: requestID, function: function.name, source: .lambda, payload: event)
        invocation.caller = caller
        let result: InvocationResult
        do {
            result = try await dispatcher.invoke(invocation)
        } catch {
            if error.isOverloaded { return self.error(.tooManyRequests, error.description, headers: [.retryAfter: "1"]) }
            return self.error(.service, error.description)
        }
        var headers: HTTPFields = [.flintInvocationID: requestID]
        if wantsLogTail {
            headers[.amzLogResult] = LambdaAPI.logResultHeader(log: LambdaAPI.executionLog(record: result.record, log: result.log))
        }
        guard result.record.outcome.isSuccess else {
            // A handler failure is 200 with X-Amz-Function-Error: botocore retries 5xx, and a retry must not rerun it.
            headers[.amzFunctionError] = "Unhandled"
            let outcome = result.record.outcome
            let body = LambdaAPI.unhandledErrorBody(
                output: result.output, errorMessage: result.record.errorMessage ?? outcome.rawValue,
                errorType: LambdaAPI.unhandledErrorType(for: outcome))
            return .bytes(.ok, body, headers: headers)
        }
        return .bytes(.ok, result.output, headers: headers)
    }

    /// `Event`: 202 with an empty body once the event is on the bus (Lambda's asynchronous invoke).
    private func enqueue(_ payload: Data, function: String, requestID: String) async -> Response {
        do {
            try await asyncInvoker.enqueue(
                function: function, payload: payload, invocationID: requestID,
                origin: MessageOrigin(source: .lambda)
            )
        } catch {
            if case .bodyTooLarge = error {
                return tooLarge(asynchronous: true)
            }
            return self.error(.service, "could not queue the event: \(error)")
        }
        return Response(status: .accepted, headers: [.flintInvocationID: requestID])
    }

    /// nil when a request without a body may go on; else the refusal.
    private func authorizeWithoutBody(_ request: Request) -> Response? {
        switch authentication.decide(request) {
        case .allowed: return nil
        case .refused(let kind, let message): return error(kind, message)
        case .signed(let signature):
            return authentication.verify(signature, of: request, body: Data()).map { error(.invalidSignature, $0) }
        }
    }

    /// 413: synchronous events are bounded by Lambda's 6 MiB, asynchronous ones by the bus's 1 MiB.
    private func tooLarge(asynchronous: Bool) -> Response {
        asynchronous
            ? error(.requestTooLarge, "Request must be smaller than \(Bus.maxBodyBytes) bytes for an asynchronous InvokeFunction")
            : error(.requestTooLarge, "Request must be smaller than \(HTTPLimits.requestBody) bytes for the InvokeFunction operation")
    }

    private func error(_ kind: LambdaAPI.ErrorKind, _ message: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.amzErrorType] = kind.rawValue
        return .bytes(HTTPResponse.Status(code: kind.status), LambdaAPI.errorBody(kind, message: message), headers: fields)
    }
}
