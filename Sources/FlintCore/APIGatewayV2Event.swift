public import Foundation

/// The API Gateway HTTP API event, payload format 2.0, that an `http` trigger hands its function.
public enum APIGatewayV2Event {
    /// Encodes `request` as the JSON event (LAMBDA.md §3).
    ///
    /// - Parameters:
    ///   - routeKey: the trigger's method and pattern, e.g. `POST /items/{id}` (`$default` for a
    ///     catch-all route).
    ///   - pathParameters: the values the route pattern captured; the key is omitted when empty.
    ///   - requestID: `requestContext.requestId`, normally the invocation id.
    ///   - time: when the request arrived; gives `requestContext.time` and `timeEpoch`.
    public static func encode(
        _ request: HTTPRequestSnapshot,
        routeKey: String,
        pathParameters: [String: String],
        requestID: String,
        time: Date,
        accountID: String,
        apiID: String
    ) -> Data {
        let headers = APIGatewayRequestHeaders(request.headers)
        let query = APIGatewayQueryString.parameters(request.rawQueryString)
        let timestamp = UTCTimestamp(time)
        let domainName = request.host ?? ""
        let body = encodedBody(request.body)

        let event = Payload(
            version: "2.0",
            routeKey: routeKey,
            rawPath: request.rawPath,
            rawQueryString: request.rawQueryString,
            cookies: headers.cookies.isEmpty ? nil : headers.cookies,
            headers: headers.fields,
            queryStringParameters: query.isEmpty ? nil : query,
            pathParameters: pathParameters.isEmpty ? nil : pathParameters,
            requestContext: RequestContext(
                accountId: accountID,
                apiId: apiID,
                domainName: domainName,
                domainPrefix: domainPrefix(of: domainName),
                http: RequestContext.HTTP(
                    method: request.method,
                    // API Gateway reports the decoded path here; an undecodable one stays as received.
                    path: request.rawPath.percentDecoded ?? request.rawPath,
                    protocol: request.protocolVersion,
                    sourceIp: request.sourceIP,
                    userAgent: headers.fields["user-agent"] ?? ""
                ),
                requestId: requestID,
                routeKey: routeKey,
                stage: "$default",
                time: timestamp.apiGatewayRequestTime,
                timeEpoch: timestamp.epochMilliseconds
            ),
            body: body?.text,
            isBase64Encoded: body?.isBase64Encoded ?? false
        )
        var writer = JSONWriter(capacity: 768 + request.body.count + request.headers.count * 48)
        event.write(to: &writer)
        return writer.data
    }

    /// UTF-8 text goes as it is; anything else as base64. An empty body has no `body` key.
    static func encodedBody(_ body: Data) -> (text: String, isBase64Encoded: Bool)? {
        guard !body.isEmpty else { return nil }
        if let text = String(validating: body, as: UTF8.self) {
            return (text, false)
        }
        return (body.base64EncodedString(), true)
    }

    /// The first label of the host name, as in `id` for `id.execute-api.us-east-1.amazonaws.com`.
    /// A port is not part of it; a bracketed IPv6 literal is kept whole.
    static func domainPrefix(of domainName: String) -> String {
        if domainName.hasPrefix("["), let close = domainName.firstIndex(of: "]") {
            return String(domainName[...close])
        }
        let hostName = domainName.prefix { $0 != ":" }
        return String(hostName.prefix { $0 != "." })
    }
}
