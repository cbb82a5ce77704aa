import FlintCore
import Foundation
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One warm instance of a `runtime: lambda` function: a handler process and the Runtime API it
/// talks to on a loopback port of its own. It takes one invocation at a time.
///
/// Its state lives on `eventLoop`, where its listener, its connections and its timers run; other
/// threads reach it only through `eventLoop.execute` (hence `@unchecked Sendable`).
final class LambdaInstance: @unchecked Sendable {
    enum Phase {
        /// Spawned (or being spawned); the runtime has not asked for work yet.
        case starting
        case ready
        case exited
    }

    /// Why Flint is ending the process.
    enum StopReason: Equatable {
        case timeout
        case initTimeout
        /// A ready runtime did not ask for the invocation it was handed within the timeout.
        case pickupTimeout
        case cancelled
        /// `/init/error`, with its description and the runtime's error document (the answer to the
        /// invocation that waited for the start).
        case initError(String, document: Data)
        /// Idle, or Flint is shutting down.
        case retired
    }

    /// How the process ended.
    enum Exit {
        /// `oomKills`: processes of the instance its cgroup's OOM killer ended (0 without a cgroup);
        /// `cpu`: what the process and the children it waited for used over its life (wait4);
        /// `peakMemoryBytes`: its cgroup's high-water mark (nil without a memory cgroup).
        case exited(Termination?, oomKills: Int64, cpu: InstanceCPU.Times, peakMemoryBytes: Int64?)
        case notStarted(String)
    }

    let id: String
    let function: FunctionManifest
    let eventLoop: any EventLoop
    let context: InstanceContext
    let process = InstanceProcess()
    let output: InstanceOutput
    private let exited: EventLoopPromise<Void>
    private let onExit: @Sendable (LambdaInstance) -> Void
    let retire: @Sendable (LambdaInstance) -> Bool

    // Confined to `eventLoop`.
    var phase = Phase.starting
    var stopReason: StopReason?
    var invocation: LambdaInvocation?
    var parked: RuntimeAPIHandler?
    var initDurationMicros: Int64?
    var deadlineTimer: Scheduled<Void>?
    var killTimer: Scheduled<Void>?
    /// Opened at the first delivery, once the process is known to run.
    var memory: InstanceMemory?
    /// The instance's user, cgroup and sandbox, once it is spawned: its cgroup measures its memory.
    var instanceIsolation: InstanceIsolation?
    var cpu: InstanceCPU?
    private var listener: (any Channel)?
    /// The Runtime API connections accepted, closed when the instance ends: a process that left
    /// the instance's process group (and, without a cgroup, outlived it) could hold one open.
    private var connections: [ObjectIdentifier: any Channel] = [:]
    private var spawnedAt: Int64?
    private var initTimer: Scheduled<Void>?
    /// CLOCK_MONOTONIC nanoseconds since the instance has had nothing to do, while it has not.
    var idleSince: Int64?
    var idleTimer: Scheduled<Void>?
    /// How the process ended (or why it never started), once it has.
    var endedWith: Exit?

    /// - Parameters:
    ///   - onExit: called on the event loop once the process has exited and been reaped, before the
    ///     invocation it held (if any) is answered.
    ///   - retire: asked, once the instance has been idle for the function's `idle`, to take it out
    ///     of the pool; true means it may stop (false: it was handed out again meanwhile).
    init(
        function: FunctionManifest, context: InstanceContext, eventLoop: any EventLoop,
        onExit: @escaping @Sendable (LambdaInstance) -> Void, retire: @escaping @Sendable (LambdaInstance) -> Bool
    ) {
        self.id = InvocationRequest.newID()
        self.function = function
        self.context = context
        self.eventLoop = eventLoop
        self.output = InstanceOutput(capacity: context.settings.logTailLimit)
        self.exited = eventLoop.makePromise()
        self.onExit = onExit
        self.retire = retire
    }

    /// Completes once the process has exited (or failed to start).
    var exitFuture: EventLoopFuture<Void> { exited.futureResult }

    // MARK: Starting

    /// Binds the Runtime API listener, then spawns the process: the listener accepts before the
    /// runtime's first connect (awslambdaric exits if that is refused).
    func start() {
        eventLoop.execute { self.bind() }
    }

    /// 127.0.0.1, any free port: made once (`bind(host:port:)` would resolve the text each time).
    private static let loopback: SocketAddress = {
        do {
            return try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        } catch {
            preconditionFailure("127.0.0.1 is a valid IPv4 address: \(error)")
        }
    }()

    private func bind() {
        let bodyLimit = context.settings.outputLimit
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.backlog, value: 16)
            // A TCP-level option: `.socketOption(.tcp_nodelay)` would set SOL_SOCKET 1, which is SO_DEBUG
            // (refused unless root: every connection would be closed on accept).
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Nothing is read until RuntimeAPIPeerCheck knows the client is the instance's own.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try track(channel)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIPeerCheck(instance: self))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(instance: self, bodyLimit: bodyLimit))
                }
            }
            .bind(to: Self.loopback)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.listener = channel
                    self.spawn(port: channel.localAddress?.port ?? 0)
                case .failure(let error):
                    self.ended(.notStarted("cannot listen for the Runtime API on 127.0.0.1: \(error)"))
                }
            }
    }

    /// Keeps `channel` until it closes or the instance ends (runs on the instance's event loop,
    /// which is the only loop of its listener).
    private func track(_ channel: any Channel) throws {
        guard phase != .exited else { throw ChannelError.ioOnClosedChannel }
        let key = ObjectIdentifier(channel)
        connections[key] = channel
        channel.closeFuture.whenComplete { _ in self.connections[key] = nil }
    }

    private func spawn(port: Int) {
        guard function.isolation == .process else {
            // `flint validate` refuses it; this only guards callers that skip validation.
            ended(.notStarted("isolation: sandbox is not available for runtime: lambda; use isolation: process"))
            return
        }
        let startedAt = Date()
        let scratch: String
        do throws(WorkingDirectory.CreationError) {
            scratch = try WorkingDirectory.create(in: context.workRoot, named: "lambda-\(id)")
        } catch {
            ended(.notStarted("\(error)"))
            return
        }
        var options: SpawnOptions
        do throws(InstanceSpawn.Failure) {
            options = try InstanceSpawn(
                function: function, runtimeAPI: "127.0.0.1:\(port)", scratchDirectory: scratch, instanceID: id,
                settings: context.settings, host: context.host
            ).options(startedAt: startedAt)
        } catch {
            removeScratch(scratch)
            ended(.notStarted("\(error)"))
            return
        }
        let isolation: InstanceIsolation
        do throws(SystemError) {
            try context.isolation.prepareDirectory(scratch)
            isolation = try context.isolation.instance(
                of: function, paths: InstancePaths(functionDirectory: function.directory, workingDirectory: scratch)
            )
        } catch {
            removeScratch(scratch)
            ended(.notStarted("cannot isolate the instance: \(error)"))
            return
        }
        isolation.apply(to: &options)
        instanceIsolation = isolation
        let isolated = options
        spawnedAt = Sys.monotonicNanoseconds()
        initTimer = eventLoop.scheduleTask(in: .nanoseconds(function.initLimit.nanoseconds)) { self.initTimedOut() }
        let process = self.process
        let output = self.output
        do throws(SystemError) {
            try isolation.launch(isolated) { options in
                process.start(options, output: output)
            } supervise: { started in
                let exit: Exit
                switch started {
                case .success(let spawned):
                    let (termination, cpu) = process.supervise(spawned, output: output)
                    // Kills what is left in the cgroup, and tells whether its OOM killer struck.
                    let usage = isolation.finish()
                    exit = .exited(termination, oomKills: usage?.oomKills ?? 0, cpu: cpu, peakMemoryBytes: usage?.peakMemoryBytes)
                case .failure(let error):
                    _ = isolation.finish()
                    exit = .notStarted(error.description)
                }
                self.removeScratch(scratch)
                self.eventLoop.execute { self.ended(exit) }
            }
        } catch {
            removeScratch(scratch)
            ended(.notStarted("flint: \(error)"))
        }
    }

    private func removeScratch(_ path: String) {
        do throws(SystemError) {
            try WorkingDirectory.remove(path)
        } catch {
            context.logger.warning(
                "cannot remove an instance's scratch directory",
                metadata: ["flint.function": "\(function.name)", "path": "\(path)", "error": "\(error)"]
            )
        }
    }

    private func initTimedOut() {
        guard phase == .starting, stopReason == nil else { return }
        stopReason = .initTimeout
        process.signalGroup(SIGKILL)
    }

    /// The runtime asked for work for the first time: init is over.
    func becameReady() {
        guard phase == .starting else { return }
        phase = .ready
        initTimer?.cancel()
        initTimer = nil
        recordInitEnd()
    }

    /// Init is over (ready, or failed): its duration, from the spawn, unless already recorded.
    func recordInitEnd() {
        guard initDurationMicros == nil, let spawnedAt else { return }
        initDurationMicros = (Sys.monotonicNanoseconds() - spawnedAt) / 1000
    }

    // MARK: Stopping

    /// Kills the process group (idle, or shutting down); completes once it has exited.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.execute {
            if self.stopReason == nil { self.stopReason = .retired }
            self.process.signalGroup(SIGKILL)
        }
        return exited.futureResult
    }

    /// The process is gone: tell the pool, then answer the invocation it held.
    private func ended(_ exit: Exit) {
        guard phase != .exited else { return }
        let wasStarting = phase == .starting
        phase = .exited
        endedWith = exit
        for timer in [initTimer, deadlineTimer, killTimer, idleTimer] { timer?.cancel() }
        listener?.close(promise: nil)
        listener = nil
        for connection in connections.values { connection.close(promise: nil) }
        connections.removeAll()
        parked = nil
        memory?.close()
        cpu?.close()
        onExit(self)
        if let invocation {
            self.invocation = nil
            invocation.continuation.resume(returning: answer(invocation, endedWith: exit, wasStarting: wasStarting))
        }
        exited.succeed()
        context.logger.debug(
            "instance exited", metadata: ["flint.function": "\(function.name)", "flint.instance": "\(id)", "flint.exit": "\(exit)"]
        )
    }

    /// What the invocation held when the process ended gets.
    private func answer(_ invocation: LambdaInvocation, endedWith exit: Exit, wasStarting: Bool) -> InstanceOutcome {
        if !invocation.isColdStart, invocation.deliveredAt == nil, stopReason == nil {
            // A warm instance that ended between invocations (a crash, or a runtime that exits after
            // answering) before its end reached this loop: the invocation never ran here, and the
            // runner hands it to another instance.
            return .unavailable
        }
        let (outcome, message, termination) = failure(exit, wasStarting: wasStarting, delivered: invocation.deliveredAt != nil)
        var used = InstanceCPU.Times.zero
        var peak = memory?.lastPeakBytes ?? 0
        if case .exited(_, _, let total, let cgroupPeak) = exit {
            used = total - (invocation.cpuAtDelivery ?? .zero)
            peak = max(peak, cgroupPeak ?? 0)
        }
        // An init error's document is the answer, as Lambda's `Runtime.ImportModuleError`.
        var document = Data()
        if case .initError(_, let initDocument)? = stopReason { document = initDocument }
        let result = invocation.result(
            function: function, outcome: outcome, message: message, output: document, log: output.take(),
            initDurationMicros: initDurationMicros ?? spawnedAt.map { (Sys.monotonicNanoseconds() - $0) / 1000 },
            peakRSSBytes: peak, cpu: used, termination: termination
        )
        return .finished(result, reusable: false)
    }
}
