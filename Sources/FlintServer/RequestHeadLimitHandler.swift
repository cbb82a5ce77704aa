internal import NIOCore
internal import NIOHTTP1

/// Answers a request head over the HTTP decoder's limits with `431` and a message naming them.
///
/// NIO's decoder refuses a head with a field over 80 KiB, over 80 KiB of fields in all, or more
/// than 1,000 fields (Hummingbird's limits), and Hummingbird then answers an empty `400`. The
/// client is better told which limit it passed (RFC 6585 §5). Placed right after the decoder;
/// other errors go on to Hummingbird.
final class RequestHeadLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let message = #"{"message":"Request Header Fields Too Large: a request's line and headers may be at most 80 KiB, in at most 1000 header fields; send large data in the body"}"#

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(Self.message.utf8.count))
        headers.add(name: "connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .requestHeaderFieldsTooLarge, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let body = context.channel.allocator.buffer(string: Self.message)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            // Only our side: closing while the rest of the client's head is still arriving would
            // reset the connection, and the client would lose the answer. The decoder drops what
            // follows; the client's close, or the idle timeout, ends the connection.
            loopBound.value.close(mode: .output, promise: nil)
        }
    }
}
