import FlintCore
import Glibc
import Logging
import NIOCore
import NIOPosix

/// First in each Runtime API connection's pipeline: nothing is read from the connection (its
/// channel starts with `autoRead` off) until its client is known to be one of the instance's own
/// processes (`RuntimeAPIPeer`); a connection from anyone else is closed unread.
final class RuntimeAPIPeerCheck: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    private let instance: LambdaInstance

    /// How long a connection may wait for the instance's process to be known: the runtime can
    /// connect as soon as it runs, a moment before the spawn has returned its pid.
    static let spawnWait: Duration = .milliseconds(200)

    init(instance: LambdaInstance) {
        self.instance = instance
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let instance = self.instance
        let ports = (client: channel.remoteAddress?.port, server: channel.localAddress?.port)
        context.fireChannelActive()
        // The common case, on the event loop (two small /proc reads): the runtime's first process,
        // known already, holds the connection.
        if let client = ports.client, let server = ports.server, let leader = instance.process.pid,
           RuntimeAPIPeer.isHeld(by: leader, clientPort: client, serverPort: server) {
            Self.admit(channel)
            return
        }
        // Otherwise the whole session is looked through, off the event loop.
        NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { () -> Bool in
            guard let client = ports.client, let server = ports.server, let session = Self.leader(of: instance) else { return false }
            return RuntimeAPIPeer.isInSession(session, clientPort: client, serverPort: server)
        }.whenComplete { result in
            if case .success(true) = result {
                Self.admit(channel)
            } else {
                instance.context.logger.warning(
                    "refused a connection to the Runtime API of an instance of \(instance.function.name): it does not come from the instance's own processes",
                    metadata: ["flint.function": "\(instance.function.name)", "flint.instance": "\(instance.id)"])
                channel.close(promise: nil)
            }
        }
    }

    private static func admit(_ channel: any Channel) {
        channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in channel.close(promise: nil) }
    }

    /// The instance's leader (whose pid is its session's id), waiting briefly for the spawn.
    private static func leader(of instance: LambdaInstance) -> pid_t? {
        let deadline = ContinuousClock.now + spawnWait
        while ContinuousClock.now < deadline {
            if let pid = instance.process.pid { return pid }
            usleep(1_000)  // a thread-pool thread, waiting for the spawn on the event loop to record it
        }
        return instance.process.pid
    }
}
