internal import NIOCore
internal import NIOHTTP1

/// Refuses, before Hummingbird sees them, requests it would mishandle: a head over the HTTP
/// decoder's limits (`431` naming them, where Hummingbird answers an empty `400`), and more than
/// one `Host` header, or none in HTTP/1.1 (`400`, RFC 9112 §3.2: past the conversion to HTTP Types
/// the first would be the authority and a second a header, and the event would name two hosts).
///
/// Placed between NIO's HTTP/1 codec and that conversion. A refusal is the connection's last
/// answer, and it keeps the order of answers: with pipelined requests still being answered, it
/// waits until their answers have ended. After it, nothing more is read or passed on, and only
/// this side of the connection is closed (see `refuseHTTPRequest`).
///
/// Trailers over the limits come after their request's head was passed on: that request can
/// never end, so it is the one refused, and its handler is told by the decoder's error, which
/// fails its body (the function does not run on part of one); whatever it answers is dropped.
final class RequestRefusalHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let headTooLarge = "Request Header Fields Too Large: a request's line and headers may be at most 80 KiB, in at most 1000 header fields; send large data in the body"

    private enum State {
        case serving
        /// Waiting for the answers to requests passed on before the refused one.
        case refusing(HTTPResponseStatus, message: String)
        case refused
    }

    private var state = State.serving
    /// Requests passed on whose answers have not ended.
    private var unanswered = 0
    /// Whether the last request passed on is still being read (its end has not arrived).
    private var bodyOpen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .serving = state else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let problem = Self.hostProblem(head) {
                refuse(.badRequest, message: problem, context: context)
                return
            }
            unanswered += 1
            bodyOpen = true
        case .body:
            break
        case .end:
            bodyOpen = false
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .serving = state else { return }  // the decoder refusing what follows a refusal
        if let parserError = error as? HTTPParserError, parserError == .headerOverflow {
            guard bodyOpen else {
                refuse(.requestHeaderFieldsTooLarge, message: Self.headTooLarge, context: context)
                return
            }
            // The trailers of the request being read: its handler learns from the error that its
            // body failed, and this side answers it, unless it was answered already (refused
            // before its body ended: 401, 413), when the connection can only end.
            bodyOpen = false
            if unanswered == 0 {
                // Only this side: closing while the trailers are still arriving would reset the
                // connection (as `refuseHTTPRequest` explains), losing the answer already sent.
                state = .refused
                context.close(mode: .output, promise: nil)
            } else {
                unanswered -= 1
                refuse(.requestHeaderFieldsTooLarge, message: Self.headTooLarge, context: context)
            }
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .refused = state {
            // The answer of a request refused while it was read (its trailers): one was sent.
            promise?.fail(ChannelError.outputClosed)
            return
        }
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data) else { return }
        unanswered -= 1
        if unanswered == 0, case .refusing(let status, let message) = state {
            state = .refused
            context.refuseHTTPRequest(status, message: message)
        }
    }

    private func refuse(_ status: HTTPResponseStatus, message: String, context: ChannelHandlerContext) {
        if unanswered == 0 {
            state = .refused
            context.refuseHTTPRequest(status, message: message)
        } else {
            state = .refusing(status, message: message)
        }
    }

    /// Why `head` cannot be served for its `Host` headers, or nil.
    static func hostProblem(_ head: HTTPRequestHead) -> String? {
        let hosts = head.headers["host"].count
        if hosts > 1 {
            return "Bad Request: the request has \(hosts) Host headers; send exactly one"
        }
        if hosts == 0, !head.version.predatesHTTP11 {
            return "Bad Request: an HTTP/1.1 request needs a Host header"
        }
        return nil
    }
}
