import FlintCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One connection of a runtime to its instance's Runtime API. Decodes requests, keeps bodies up
/// to the limit (larger ones are read and dropped, then answered with 413), and asks the instance
/// what to answer. A `/next` with no event ready is parked until `deliver` (the long poll).
///
/// Runs on the instance's event loop, as does the instance itself.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let instance: LambdaInstance
    private let bodyLimit: Int
    private var context: ChannelHandlerContext?
    private var route = RuntimeAPIRoute.notFound
    private var keepAlive = true
    private var errorType: String?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    /// True while a `/next` waits for an event.
    private(set) var isParked = false

    init(instance: LambdaInstance, bodyLimit: Int) {
        self.instance = instance
        self.bodyLimit = bodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if isParked { instance.runtimeDisconnected(self) }
        isParked = false
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            route = RuntimeAPIRoute(method: head.method, uri: head.uri)
            keepAlive = head.isKeepAlive
            errorType = head.headers.first(name: "Lambda-Runtime-Function-Error-Type")
            body.clear()
            bodyTooLarge = false
        case .body(var part):
            guard route.takesBody, !bodyTooLarge else { return }
            if body.readableBytes + part.readableBytes > bodyLimit {
                bodyTooLarge = true
                body = ByteBuffer()
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            handleRequest()
        }
    }

    private func handleRequest() {
        switch route {
        case .next:
            isParked = true
            instance.runtimeAskedForNext(self)
        case .response(let id):
            let reply = bodyTooLarge ? instance.runtimeResponseTooLarge(id) : instance.runtimeResponded(id, body: body)
            answer(reply, tooLarge: bodyTooLarge)
        case .error(let id):
            let reply = bodyTooLarge
                ? instance.runtimeFailedWithOversizedReport(id, errorType: errorType, limit: bodyLimit)
                : instance.runtimeFailed(id, body: body, errorType: errorType)
            answer(reply, tooLarge: bodyTooLarge)
        case .initError:
            let write = bodyTooLarge
                ? respond(.payloadTooLarge, RuntimeAPIBodies.tooLarge(limit: bodyLimit))
                : respond(.accepted, RuntimeAPIBodies.accepted)
            let instance = self.instance
            let report = Data(buffer: body)
            let description = bodyTooLarge
                ? LambdaInvocation.describeOversizedError(errorType: errorType, limit: bodyLimit)
                : LambdaAPI.errorDescription(report: report, errorType: errorType)
            let document = bodyTooLarge ? Data() : LambdaAPI.errorDocument(report: report, errorType: errorType)
            // The runtime has its answer before it is stopped.
            write.whenComplete { _ in instance.runtimeFailedToInitialize(description: description, document: document) }
        case .methodNotAllowed:
            respond(.methodNotAllowed, RuntimeAPIBodies.methodNotAllowed)
        case .notFound:
            respond(.notFound, RuntimeAPIBodies.notFound)
        }
        body.clear()
    }

    private func answer(_ reply: RuntimeAPIReply, tooLarge: Bool) {
        switch reply {
        case .invalidRequestID: respond(.badRequest, RuntimeAPIBodies.invalidRequestID)
        case .accepted where tooLarge: respond(.payloadTooLarge, RuntimeAPIBodies.tooLarge(limit: bodyLimit))
        case .accepted: respond(.accepted, RuntimeAPIBodies.accepted)
        }
    }

    /// Answers the parked `/next` with `event`; the future fails when the event was not written
    /// (the connection was closing or gone).
    func deliver(_ event: RuntimeAPIEvent) -> EventLoopFuture<Void> {
        isParked = false
        guard context != nil else { return instance.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(6)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: event.requestID)
        headers.add(name: "Lambda-Runtime-Deadline-Ms", value: String(event.deadlineMillis))
        headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: event.functionARN)
        if let clientContext = event.clientContext {
            headers.add(name: "Lambda-Runtime-Client-Context", value: clientContext)
        }
        return respond(.ok, event.payload, headers: headers)
    }

    @discardableResult
    private func respond(_ status: HTTPResponseStatus, _ body: ByteBuffer, headers: HTTPHeaders? = nil) -> EventLoopFuture<Void> {
        guard let context else { return instance.eventLoop.makeSucceededVoidFuture() }
        var headers = headers ?? Self.jsonHeaders
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
        return done
    }

    private static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]
}
