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

    static let message = "Request Header Fields Too Large: a request's line and headers may be at most 80 KiB, in at most 1000 header fields; send large data in the body"

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        // The decoder drops what follows its error.
        context.refuseHTTPRequest(.requestHeaderFieldsTooLarge, message: Self.message)
    }
}
