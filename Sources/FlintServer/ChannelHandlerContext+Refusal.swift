internal import FlintCore
internal import NIOCore
internal import NIOHTTP1

extension ChannelHandlerContext {
    /// Answers the request being read with `status` and `{"message": message}`, then ends the
    /// connection: for a handler between NIO's HTTP/1 codec and the conversion to HTTP Types,
    /// refusing a request Hummingbird never sees.
    ///
    /// Only this side is closed: closing while the rest of the request is still arriving would
    /// reset the connection, and the client would lose the answer. What follows is for the
    /// caller to drop (data and the decoder's errors); the client's close, or the idle timeout,
    /// ends the connection.
    func refuseHTTPRequest(_ status: HTTPResponseStatus, message: String) {
        let body = FlintJSON.encode(["message": message])
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.count))
        headers.add(name: "connection", value: "close")
        let outbound = { (part: HTTPServerResponsePart) in NIOAny(part) }
        write(outbound(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        write(outbound(.body(.byteBuffer(channel.allocator.buffer(bytes: body)))), promise: nil)
        let loopBound = self.loopBound
        writeAndFlush(outbound(.end(nil))).whenComplete { _ in
            loopBound.value.close(mode: .output, promise: nil)
        }
    }
}
