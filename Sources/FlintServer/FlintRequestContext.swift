public import Hummingbird
internal import NIOCore

/// The request context of Flint's listener: Hummingbird's core storage plus the peer's address,
/// which the API Gateway event reports as `sourceIp`.
public struct FlintRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, or "127.0.0.1" when the channel does not know it.
    public let sourceIP: String
    /// The listener's port this request came in on (the event's `x-forwarded-port`).
    let serverPort: Int?
    /// Completes when the client's connection closes: a streamed response (`flint logs -f`)
    /// ends then, as Hummingbird does not cancel its handler.
    let connectionClosed: EventLoopFuture<Void>
    /// `HTTP/1.0` or `HTTP/1.1` (the event's `requestContext.http.protocol`).
    let protocolVersion: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.sourceIP = source.channel.remoteAddress?.ipAddress ?? "127.0.0.1"
        self.serverPort = source.channel.localAddress?.port
        self.connectionClosed = source.channel.closeFuture
        self.protocolVersion = HTTPVersionNote.current?.protocolVersion ?? "HTTP/1.1"
    }

    /// Request bodies are bounded by Lambda's 6 MiB synchronous payload limit.
    public var maxUploadSize: Int { HTTPLimits.requestBody }
}

/// Sizes the listener enforces.
enum HTTPLimits {
    /// Lambda's synchronous invocation payload limit.
    static let requestBody = 6 * 1024 * 1024
}
