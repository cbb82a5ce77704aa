internal import FlintCore
public import FlintDispatch
public import FlintStore
internal import FlintTriggers
internal import Foundation
internal import Logging
internal import ServiceLifecycle

/// The bus is what the consumer claims from: its methods already have the shape the protocol
/// asks for (FlintDispatch sees FlintStore only through it).
extension Bus: DeliverySource {}

/// Schedule ticks become EventBridge events on the schedule's own topic.
struct BusScheduleSink: ScheduleSink {
    let bus: Bus
    let identity: LambdaIdentity

    func lastTick(of trigger: String) throws -> (tick: Date, rule: String?)? { try bus.scheduleMark(trigger: trigger) }

    func start(_ trigger: String, at tick: Date, rule: String) throws { try bus.markTick(trigger: trigger, at: tick, rule: rule, replacing: true) }

    func forget(except triggers: [String]) throws { try bus.forgetSchedules(except: triggers) }

    func fire(_ trigger: String, at tick: Date) throws {
        let id = InvocationRequest.newID()
        let event = ScheduledEvent.encode(id: id, time: tick, region: identity.region, account: identity.account, trigger: trigger)
        let message = OutgoingMessage(
            topic: BusTopology.scheduleTopic(trigger), body: String(decoding: event, as: UTF8.self), messageID: id,
            origin: MessageOrigin(source: .schedule, trigger: trigger)
        )
        try bus.publishTick(trigger: trigger, at: tick, message: message)
    }
}

/// Claims deliveries until shutdown reaches it, then stops claiming (before the dispatcher drains).
struct BusConsumerService: Service {
    let consumer: BusConsumer

    func run() async throws {
        await withGracefulShutdownHandler {
            await consumer.run()
        } onGracefulShutdown: {
            consumer.stop()
        }
    }
}

/// Fires schedule triggers until shutdown.
struct ScheduleService: Service {
    let source: ScheduleSource

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await source.run()
        }
        // With no schedule (or none that fires again) there is nothing to do, but a service that
        // returns early would stop the whole group.
        try? await gracefulShutdown()
    }
}

/// Runs blocking store calls off Swift's cooperative threads.
enum Offload {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
