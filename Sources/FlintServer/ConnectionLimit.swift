internal import FlintRunner
internal import Foundation
internal import Logging
internal import NIOCore
internal import Synchronization

/// How many client connections the listener keeps at once. Past it, a new connection is closed as
/// soon as it is accepted: without a cap, clients that open connections and never finish a
/// request (slowloris) take every descriptor the daemon has, and then its invocations fail for
/// want of pipes.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic(0)
    /// A flood is logged once a minute.
    private let warnings = WarningThrottle(interval: 60)
    private let logger: Logger

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    /// A quarter of the daemon's descriptors, at most 4,096: the rest are for handlers' pipes,
    /// the database and the watcher.
    static func fromDescriptorLimit(logger: Logger) -> ConnectionLimit {
        let descriptors = HostLimits.current().descriptorLimit
        return ConnectionLimit(maximum: min(4096, max(16, descriptors / 4)), logger: logger)
    }

    /// Counts a new connection; false when it is one too many (the caller closes it).
    func admit() -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        if count <= maximum { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        warn()
        return false
    }

    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    private func warn() {
        guard warnings.allows() else { return }
        logger.warning("refusing HTTP connections: \(maximum) are open already (clients that do not finish their requests are closed after 30 s idle)")
    }
}

/// Admits or closes each connection as it is set up, and gives its place back when it closes.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: ConnectionLimit
    private var admitted = false

    init(limit: ConnectionLimit) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        admitted = limit.admit()
        if !admitted { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if admitted { limit.release() }
        admitted = false
    }
}
