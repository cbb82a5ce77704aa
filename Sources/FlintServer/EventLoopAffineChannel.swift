internal import FlintRunner
internal import HummingbirdCore
internal import Logging
internal import NIOCore

/// Hummingbird's per-connection handling, run on the connection's own event loop.
///
/// Hummingbird reads each request on the event loop and runs its handler on the cooperative
/// pool, so a request crossed threads twice before it reached Flint's code and twice more for a
/// warm instance's Runtime API exchange. On the loop, a warm `runtime: lambda` request at one
/// connection does half the context switches (10 → 5 per request, +20–30 % requests/s).
/// The price: nothing in a route may block. Flint's routes do not: the database is reached
/// through GRDB's asynchronous API or `Offload`, handlers run on their own threads.
struct EventLoopAffineChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
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
