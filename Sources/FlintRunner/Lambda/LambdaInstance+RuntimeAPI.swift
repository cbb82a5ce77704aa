import FlintCore
import Foundation
import Glibc
import NIOCore
import NIOFoundationCompat

/// What the Runtime API's requests do to the instance (called by `RuntimeAPIHandler`, on the
/// instance's event loop).
extension LambdaInstance {
    /// `GET /next`: parked until an invocation is there. The first one ends init.
    func runtimeAskedForNext(_ handler: RuntimeAPIHandler) {
        guard phase != .exited else { return }
        becameReady()
        // A runtime waits on one connection at a time; a newer wait replaces an older one.
        parked = handler
        deliverIfReady()
    }

    func runtimeDisconnected(_ handler: RuntimeAPIHandler) {
        if parked === handler { parked = nil }
    }

    /// `POST /{id}/response`.
    func runtimeResponded(_ id: Substring, body: ByteBuffer) -> RuntimeAPIReply {
        guard holdsDelivered(id) else { return .invalidRequestID }
        complete(.ok, message: nil, output: Data(buffer: body))
        return .accepted
    }

    /// `POST /{id}/response` with a body over the limit (answered 413).
    func runtimeResponseTooLarge(_ id: Substring) -> RuntimeAPIReply {
        guard holdsDelivered(id) else { return .invalidRequestID }
        complete(.outputTooLarge, message: "output exceeded the \(context.settings.outputLimit)-byte limit", output: Data())
        return .accepted
    }

    /// `POST /{id}/error`: the body is the failed invocation's output.
    func runtimeFailed(_ id: Substring, body: ByteBuffer, errorType: String?) -> RuntimeAPIReply {
        guard holdsDelivered(id) else { return .invalidRequestID }
        let report = Data(buffer: body)
        complete(
            .error, message: LambdaAPI.errorDescription(report: report, errorType: errorType),
            output: LambdaAPI.errorDocument(report: report, errorType: errorType)
        )
        return .accepted
    }

    /// `POST /{id}/error` with a body over the limit (answered 413): still the invocation's
    /// error, described by its type header alone.
    func runtimeFailedWithOversizedReport(_ id: Substring, errorType: String?, limit: Int) -> RuntimeAPIReply {
        guard holdsDelivered(id) else { return .invalidRequestID }
        complete(.error, message: LambdaInvocation.describeOversizedError(errorType: errorType, limit: limit), output: Data())
        return .accepted
    }

    /// `POST /init/error`, once answered: the runtime cannot start. It is given the kill grace
    /// period to exit by itself (awslambdaric logs, then exits), then killed. The invocation
    /// waiting for it fails once the process has exited, answered with `document`.
    func runtimeFailedToInitialize(description: String, document: Data) {
        guard phase != .exited, stopReason == nil else { return }
        stopReason = .initError(description, document: document)
        // Init ended here: the grace given to exit is not part of it.
        recordInitEnd()
        let process = self.process
        killTimer = eventLoop.scheduleTask(in: .nanoseconds(context.settings.killGrace.nanoseconds)) {
            process.signalGroup(SIGKILL)
        }
    }

    /// Whether `id` is the invocation this runtime was handed and has not answered yet.
    private func holdsDelivered(_ id: Substring) -> Bool {
        guard let invocation, invocation.deliveredAt != nil, stopReason == nil else { return false }
        return invocation.request.id.utf8.elementsEqual(id.utf8)
    }
}
