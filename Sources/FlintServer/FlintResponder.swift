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
    /// Decoded as trigger routes decode it: `/%76%31/x` is under `/v1` for them too, so it goes
    /// to no trigger (and Flint's own routes, which match the path as written, answer 404).
    static func isReserved(_ path: String) -> Bool {
        let first = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first ?? ""
        return HTTPTrigger.reservedFirstSegments.contains(first.percentDecoded ?? String(first))
    }
}

/// Gives a request that matches no route API Gateway's JSON body instead of an empty 404; one
/// for a Lambda API operation Flint does not have (a path under an API version, such as
/// `/2016-08-19/account-settings/`) Lambda's `UnknownOperationException`, which botocore names;
/// one for a path of Flint's own that answers other methods 405, with `Allow`.
struct NotFoundBodyMiddleware: RouterMiddleware {
    typealias Context = FlintRequestContext
    /// Flint's own routes, filled in as they are registered.
    let registered: RegisteredRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard Self.isLambdaAPIPath(request.uri.path) else {
                let allowed = registered.methods(at: request.uri.path)
                // A route that matched and answered 404 itself is not a wrong method.
                guard !allowed.isEmpty, !allowed.contains(request.method) else { return .message(.notFound, "Not Found") }
                let names = allowed.map(\.rawValue).joined(separator: ", ")
                return .message(
                    .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); it answers \(names) (docs/http-api.md)",
                    headers: [.allow: names]
                )
            }
            let message = "Flint does not implement the Lambda operation at \(request.method.rawValue) \(request.uri.path); "
                + "it implements Invoke, ListFunctions, GetFunction and GetFunctionConfiguration (docs/http-api.md)"
            return .bytes(.notFound, LambdaAPI.errorBody(.unknownOperation, message: message), headers: [.amzErrorType: LambdaAPI.ErrorKind.unknownOperation.rawValue])
        }
    }

    /// Whether the first segment is one of the Lambda API's versions (botocore's service model
    /// has these); a user's route under another date that matched nothing stays a plain 404.
    static func isLambdaAPIPath(_ path: String) -> Bool {
        guard let first = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first else { return false }
        return lambdaAPIVersions.contains(String(first))
    }

    static let lambdaAPIVersions: Set<String> = [
        "2014-11-13", "2015-03-31", "2016-08-19", "2017-03-31", "2017-10-31", "2018-10-31", "2019-09-25", "2019-09-30",
        "2020-04-22", "2020-06-30", "2021-07-20", "2021-10-31", "2021-11-15", "2024-08-31", "2025-11-30", "2025-12-01",
    ]
}
