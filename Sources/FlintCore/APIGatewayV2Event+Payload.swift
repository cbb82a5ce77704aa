extension APIGatewayV2Event {
    /// The event's JSON shape. Optional properties are left out of the JSON when nil, which is how
    /// API Gateway omits `cookies`, `queryStringParameters`, `pathParameters` and `body`.
    struct Payload {
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

    struct RequestContext {
        struct HTTP {
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

// Written by hand rather than with JSONEncoder: this runs on every HTTP invocation. Keys in sorted
// order, optional members left out when nil.
extension APIGatewayV2Event.Payload {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        if let body {
            writer.key("body")
            writer.string(body)
        }
        if let cookies {
            writer.key("cookies")
            writer.array(cookies)
        }
        writer.key("headers")
        writer.object(headers)
        writer.key("isBase64Encoded")
        writer.bool(isBase64Encoded)
        if let pathParameters {
            writer.key("pathParameters")
            writer.object(pathParameters)
        }
        if let queryStringParameters {
            writer.key("queryStringParameters")
            writer.object(queryStringParameters)
        }
        writer.key("rawPath")
        writer.string(rawPath)
        writer.key("rawQueryString")
        writer.string(rawQueryString)
        writer.key("requestContext")
        requestContext.write(to: &writer)
        writer.key("routeKey")
        writer.string(routeKey)
        writer.key("version")
        writer.string(version)
        writer.endObject()
    }
}

extension APIGatewayV2Event.RequestContext {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("accountId")
        writer.string(accountId)
        writer.key("apiId")
        writer.string(apiId)
        writer.key("domainName")
        writer.string(domainName)
        writer.key("domainPrefix")
        writer.string(domainPrefix)
        writer.key("http")
        writer.beginObject()
        writer.key("method")
        writer.string(http.method)
        writer.key("path")
        writer.string(http.path)
        writer.key("protocol")
        writer.string(http.protocol)
        writer.key("sourceIp")
        writer.string(http.sourceIp)
        writer.key("userAgent")
        writer.string(http.userAgent)
        writer.endObject()
        writer.key("requestId")
        writer.string(requestId)
        writer.key("routeKey")
        writer.string(routeKey)
        writer.key("stage")
        writer.string(stage)
        writer.key("time")
        writer.string(time)
        writer.key("timeEpoch")
        writer.integer(timeEpoch)
        writer.endObject()
    }
}
