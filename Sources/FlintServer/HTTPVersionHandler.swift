internal import NIOCore
internal import NIOHTTP1
internal import Synchronization

/// The HTTP version of a connection's requests, which the conversion to Swift HTTP Types drops:
/// the API Gateway event reports it (`requestContext.http.protocol`).
final class HTTPVersionNote: Sendable {
    /// The connection being served, for the requests read on it.
    @TaskLocal static var current: HTTPVersionNote?

    private let isHTTP10 = Atomic(false)

    /// `HTTP/1.0` or `HTTP/1.1`: of the latest request head read on the connection (clients do
    /// not change version between the requests of one connection).
    var protocolVersion: String { isHTTP10.load(ordering: .relaxed) ? "HTTP/1.0" : "HTTP/1.1" }

    func record(_ version: HTTPVersion) {
        isHTTP10.store(version.predatesHTTP11, ordering: .relaxed)
    }
}

/// HTTP/1.0 as RFC 9112 has it, on a listener whose later stages see only HTTP Types, which
/// carry no version: Hummingbird would keep every connection open after its response (until the
/// idle timeout, 30 s, for a client that waits for the close) and answer `Expect: 100-continue`.
///
/// Placed between NIO's HTTP/1 decoder and the conversion to HTTP Types. For an HTTP/1.0 request
/// it adds `Connection: close` unless the client asked for keep-alive (Hummingbird then closes
/// after the response, RFC 9112 §9.3), and removes `Expect`, which a server must ignore from an
/// HTTP/1.0 client (RFC 9110 §10.1.1). Its answer is an HTTP/1.0 one, so a body of unknown length
/// (`flint logs -f`) is not chunked, which an HTTP/1.0 client cannot read (RFC 9112 §6.1), but
/// ends with the connection. Keep-alive is answered with `Connection: keep-alive` (which an
/// HTTP/1.0 client needs to reuse the connection) when the answer has a length, else refused.
final class HTTPVersionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What an answer owes its request.
    private enum Owed {
        case http11
        case http10(keepAlive: Bool)
    }

    private let note: HTTPVersionNote
    /// For each request read and not yet answered, in order.
    private var answersOwed: CircularBuffer<Owed> = []
    /// The answer being written ends the connection: an HTTP/1.0 one without a length, whose
    /// end its client knows only by the close.
    private var closeAfterAnswer = false

    init(note: HTTPVersionNote) {
        self.note = note
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        note.record(head.version)
        let isHTTP10 = head.version.predatesHTTP11
        if isHTTP10 {
            head.headers.remove(name: "expect")
            if !head.isKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        }
        answersOwed.append(isHTTP10 ? .http10(keepAlive: head.isKeepAlive) : .http11)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            // Interim answers (100 Continue) precede the final one, which settles what is owed.
            guard case .http10(let keepAlive)? = answersOwed.popFirst() else { break }
            head.version = .http1_0
            let hasLength = head.headers.contains(name: "content-length")
            if keepAlive, hasLength {
                if !head.headers.contains(name: "connection") { head.headers.add(name: "connection", value: "keep-alive") }
            } else {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                closeAfterAnswer = keepAlive  // Hummingbird closes the others, which asked for it
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end where closeAfterAnswer:
            closeAfterAnswer = false
            let loopBound = context.loopBound
            let written = context.writeAndFlush(data)
            written.cascade(to: promise)
            written.whenComplete { _ in loopBound.value.close(mode: .output, promise: nil) }
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }
}

extension HTTPVersion {
    /// HTTP/1.0 (or older): no `Host` required, connections close after each answer unless
    /// kept alive, no chunked bodies, no `Expect`.
    var predatesHTTP11: Bool { major < 1 || (major == 1 && minor == 0) }
}
