internal import FlintCore
internal import Hummingbird
internal import HTTPTypes

/// The listener's responder: trigger routes first (their paths are the user's to choose), then
/// Flint's own routes (`/2015-03-31`, `/v1`, `/healthz`).
struct FlintResponder<Fallback: HTTPResponder>: HTTPResponder where Fallback.Context == FlintRequestContext {
    let gateway: TriggerGateway
    let fallback: Fallback

    func respond(to request: Request, context: FlintRequestContext) async throws -> Response {
        if !Self.isReserved(request.uri.path), let response = try await gateway.respond(to: request, context: context) {
            return response
        }
        return try await fallback.respond(to: request, context: context)
    }

    /// Flint's own paths win over any trigger, so a catch-all route cannot hide the admin API.
    static func isReserved(_ path: String) -> Bool {
        let first = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first ?? ""
        return HTTPTrigger.reservedFirstSegments.contains(String(first))
    }
}

/// Gives a request that matches no route API Gateway's JSON body instead of an empty 404; one
/// for a Lambda API operation Flint does not have (a path under an API version, such as
/// `/2016-08-19/account-settings/`) Lambda's `UnknownOperationException`, which botocore names.
struct NotFoundBodyMiddleware: RouterMiddleware {
    typealias Context = FlintRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard Self.isLambdaAPIPath(request.uri.path) else { return .message(.notFound, "Not Found") }
            let message = "Flint does not implement the Lambda operation at \(request.method.rawValue) \(request.uri.path); "
                + "it implements Invoke, ListFunctions, GetFunction and GetFunctionConfiguration (docs/http-api.md)"
            return .bytes(.notFound, LambdaAPI.errorBody(.unknownOperation, message: message), headers: [.amzErrorType: LambdaAPI.ErrorKind.unknownOperation.rawValue])
        }
    }

    /// Whether the first segment is a Lambda API version, a date (`2015-03-31`).
    static func isLambdaAPIPath(_ path: String) -> Bool {
        guard let first = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first else { return false }
        return first.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil
    }
}
