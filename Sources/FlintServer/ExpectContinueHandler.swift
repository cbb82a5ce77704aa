internal import HTTPTypes
internal import NIOCore
internal import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request's head arrives.
///
/// Clients such as curl send that header with large bodies and then hold the body back until the
/// server says to go on, or for a second if it never does (RFC 9110 §10.1.1). Hummingbird does not
/// answer it, so without this every such upload would stall before its handler saw a byte. Flint
/// always reads the body it is offered (a body over the limit gets 413 after it is read), so it can
/// answer at once rather than after routing.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data), Self.expectsContinue(request) {
            // Written before the head goes on, so it always precedes the final response.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    /// True when the request asks for an interim response: its `Expect` is `100-continue`
    /// (case-insensitive, RFC 9110 §10.1.1) on an HTTP/1.1 request.
    static func expectsContinue(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .expect].contains { $0.lowercased() == "100-continue" }
    }
}
