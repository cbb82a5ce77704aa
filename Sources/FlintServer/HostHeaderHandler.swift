internal import NIOCore
internal import NIOHTTP1

/// Refuses a request with more than one `Host` header, or an HTTP/1.1 request with none, with
/// `400`, as RFC 9112 §3.2 requires.
///
/// Past the conversion to HTTP Types the first `Host` becomes the request's authority and a
/// second stays among the headers, so the event would name one host in `headers.host` and
/// another in `requestContext.domainName`. Placed between NIO's HTTP/1 codec and that
/// conversion; once it refuses, it drops everything else the connection sends.
final class HostHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data), let problem = Self.problem(with: head) {
            refused = true
            context.refuseHTTPRequest(.badRequest, message: problem)
            return
        }
        context.fireChannelRead(data)
    }

    /// Why `head` cannot be served for its `Host` headers, or nil.
    static func problem(with head: HTTPRequestHead) -> String? {
        let hosts = head.headers["host"].count
        if hosts > 1 {
            return "Bad Request: the request has \(hosts) Host headers; send exactly one"
        }
        if hosts == 0, head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1) {
            return "Bad Request: an HTTP/1.1 request needs a Host header"
        }
        return nil
    }
}
