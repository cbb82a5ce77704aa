internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import Foundation

/// Asynchronous invocations: the event is committed to the function's topic on the bus, and
/// the caller is answered `202` with the invocation id once it is durable.
struct AsyncInvoker: Sendable {
    let bus: Bus
    let consumer: BusConsumer

    /// Commits the event; the consumer is woken at once rather than by the WAL monitor.
    func enqueue(function: String, payload: Data, invocationID: String, origin: MessageOrigin) async throws(BusError) {
        let message = OutgoingMessage(
            topic: BusTopology.invokeTopic(function), body: String(decoding: payload, as: UTF8.self),
            messageID: invocationID, origin: origin
        )
        try await bus.publish([message])
        consumer.wake()
    }
}
