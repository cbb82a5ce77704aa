public import Foundation

/// What the HTTP gateway knows of one request, in the form API Gateway builds its event from:
/// nothing is decoded or normalised yet.
public struct HTTPRequestSnapshot: Sendable {
    /// The request method as received, e.g. `POST`.
    public var method: String
    /// The path as received: percent-encoded, without the query.
    public var rawPath: String
    /// The query without the leading `?`; empty when there is none.
    public var rawQueryString: String
    /// Header fields in arrival order; names in any case, repeated names allowed.
    public var headers: [(name: String, value: String)]
    /// The body bytes, possibly empty.
    public var body: Data
    /// The peer's address, e.g. `127.0.0.1`.
    public var sourceIP: String
    /// The HTTP version, e.g. `HTTP/1.1`.
    public var protocolVersion: String
    /// The `Host` header's value (`domainName` and `domainPrefix`), or nil when the request had none.
    public var host: String?

    /// Creates a snapshot; `host` defaults to nil, not to the `Host` header: the gateway decides.
    public init(
        method: String,
        rawPath: String,
        rawQueryString: String = "",
        headers: [(name: String, value: String)] = [],
        body: Data = Data(),
        sourceIP: String,
        protocolVersion: String = "HTTP/1.1",
        host: String? = nil
    ) {
        self.method = method
        self.rawPath = rawPath
        self.rawQueryString = rawQueryString
        self.headers = headers
        self.body = body
        self.sourceIP = sourceIP
        self.protocolVersion = protocolVersion
        self.host = host
    }
}
