internal import FlintCore
internal import FlintStore
internal import Foundation

/// Asynchronous invocations: the event is committed to the function's topic on the bus, and
/// the caller is answered `202` with the invocation id once it is durable.
struct AsyncInvoker: Sendable {
    let bus: Bus

    /// Commits the event; the commit wakes the consumer (`FlintDatabase.onBusCommit`).
    func enqueue(function: String, payload: Data, invocationID: String, origin: MessageOrigin) async throws(BusError) {
        let message = OutgoingMessage(
            topic: BusTopology.invokeTopic(function), body: String(decoding: payload, as: UTF8.self),
            messageID: invocationID, origin: origin
        )
        try await bus.publish([message])
    }
}
