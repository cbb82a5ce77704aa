extension APIGatewayV2Event {
    /// The event's JSON shape. Optional properties are left out of the JSON when nil, which is how
    /// API Gateway omits `cookies`, `queryStringParameters`, `pathParameters` and `body`.
    struct Payload: Encodable {
        var version: String
        var routeKey: String
        var rawPath: String
        var rawQueryString: String
        var cookies: [String]?
        var headers: [String: String]
        var queryStringParameters: [String: String]?
        var pathParameters: [String: String]?
        var requestContext: RequestContext
        var body: String?
        var isBase64Encoded: Bool
    }

    struct RequestContext: Encodable {
        struct HTTP: Encodable {
            var method: String
            var path: String
            var `protocol`: String
            var sourceIp: String
            var userAgent: String
        }

        var accountId: String
        var apiId: String
        var domainName: String
        var domainPrefix: String
        var http: HTTP
        var requestId: String
        var routeKey: String
        var stage: String
        var time: String
        var timeEpoch: Int64
    }
}
