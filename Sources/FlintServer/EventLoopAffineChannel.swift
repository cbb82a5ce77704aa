internal import FlintDispatch
internal import FlintRunner
internal import HummingbirdCore
internal import Logging
internal import NIOCore
internal import NIOHTTPTypesHTTP1

/// Hummingbird's per-connection handling, run on the connection's own event loop.
///
/// Hummingbird reads each request on the event loop and runs its handler on the cooperative
/// pool, so a request crossed threads twice before it reached Flint's code and twice more for a
/// warm instance's Runtime API exchange. On the loop, a warm `runtime: lambda` request at one
/// connection does half the context switches (10 → 5 per request, +20–30 % requests/s).
/// The price: nothing in a route may block. Flint's routes do not: the database is reached
/// through GRDB's asynchronous API or `Offload`, handlers run on their own threads.
struct EventLoopAffineChannel<Inner: ServerChildChannel>: ServerChildChannel {
    /// The inner channel's value, and whether its client is still there (`CallerPresence`).
    struct Value: ServerChildChannelValue {
        let inner: Inner.Value
        let caller: CallerPresence
        let httpVersion: HTTPVersionNote
        var channel: any Channel { inner.channel }
    }

    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let caller = CallerPresence()
        let httpVersion = HTTPVersionNote()
        do {
            // First in the pipeline, so that it sees the client's close before anything else does.
            try channel.pipeline.syncOperations.addHandler(ClientHangUpHandler(caller: caller))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Where requests still carry their version: before their conversion to HTTP Types.
            let operations = channel.pipeline.syncOperations
            let conversion = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            try operations.addHandler(RequestRefusalHandler(), position: .before(conversion))
            try operations.addHandler(HTTPVersionHandler(note: httpVersion), position: .before(conversion))
            return Value(inner: value, caller: caller, httpVersion: httpVersion)
        }
    }

    func handle(value: Value, logger: Logger) async {
        // A synchronous call still waiting for a slot when its client hangs up is dropped.
        await CallerPresence.$current.withValue(value.caller) {
            await HTTPVersionNote.$current.withValue(value.httpVersion) {
                await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
                    await inner.handle(value: value.inner, logger: logger)
                }
            }
        }
    }
}

/// Marks a connection's caller gone once its client closes its side. Hummingbird allows
/// half-closure, so a client's close arrives as `inputClosed` and the channel stays open until
/// the response is written; a reset or an error ends the channel instead. (A client that
/// half-closes on purpose and still waits for its answer is taken for gone too, as nginx takes
/// it: only a call still waiting for a slot is dropped for it.)
final class ClientHangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let caller: CallerPresence

    init(caller: CallerPresence) {
        self.caller = caller
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { caller.markGone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        caller.markGone()
        context.fireChannelInactive()
    }
}

extension HTTPServerBuilder {
    /// How long a connection may go without a complete request part: a keep-alive connection
    /// between requests, or one whose request head never completes (slowloris), is closed then.
    /// A request being answered (a long invocation, `flint logs -f`) is never idle.
    static let idleTimeout: TimeAmount = .seconds(30)

    /// HTTP/1.1 with `Expect: 100-continue` answered at once, each connection on its event loop,
    /// at most `limit` connections at once, each closed after `idleTimeout` idle.
    static func flintHTTP1(limit: ConnectionLimit) -> HTTPServerBuilder {
        .init { responder in
            EventLoopAffineChannel(inner: HTTP1Channel(
                responder: responder,
                configuration: .init(
                    additionalChannelHandlers: [ConnectionLimitHandler(limit: limit), ExpectContinueHandler()],
                    idleTimeout: idleTimeout)))
        }
    }
}
