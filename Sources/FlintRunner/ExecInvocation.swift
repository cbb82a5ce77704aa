import FlintCore
import Foundation
import Logging

/// One exec invocation, from working directory to record. `execute` runs on a supervisor thread.
struct ExecInvocation: Sendable {
    let request: InvocationRequest
    let function: FunctionManifest
    let workRoot: String
    let settings: ExecRunnerSettings
    let host: HostLimits
    let isolation: HandlerIsolation
    let logger: Logger
    /// Where live followers get the handler's log lines, if anywhere.
    var logHub: LogHub?

    /// Runs the handler to its end, blocking the calling thread.
    func execute(cancellation: CancellationSignal) -> InvocationResult {
        let workingDirectory: String
        do throws(WorkingDirectory.CreationError) {
            workingDirectory = try WorkingDirectory.create(in: workRoot, named: request.id)
        } catch {
            logger.error("cannot create working directory", metadata: metadata(["error": "\(error)"]))
            return notStarted(.error, message: "flint: \(error)")
        }
        defer { removeWorkingDirectory(workingDirectory) }

        let startedAt = Date()
        var options: SpawnOptions
        do {
            options = try spawnOptions(workingDirectory: workingDirectory, startedAt: startedAt)
        } catch {
            return notStarted(.error, message: "\(error)", at: startedAt)
        }
        let instance: InstanceIsolation
        do throws(SystemError) {
            instance = try isolate(workingDirectory: workingDirectory)
        } catch {
            logger.error("cannot isolate handler", metadata: metadata(["error": "\(error)"]))
            return notStarted(.error, message: "flint: cannot isolate the handler: \(error)", at: startedAt)
        }
        instance.apply(to: &options)

        let spawnedAt = Sys.monotonicNanoseconds()
        let process: SpawnedProcess
        do throws(SpawnError) {
            let spawned = instance.spawnBlocking(options) { options in
                Result { () throws(SpawnError) in try ProcessSpawner.spawn(options) }
            }
            process = try spawned.get()
        } catch {
            if case .pipes = error {
                logger.error("cannot start handler", metadata: metadata(["error": "\(error)"]))
            }
            // The handler never ran (its execve failed, say): nothing to bill, no cold start.
            return notStarted(.error, message: error.description, at: startedAt)
        }

        let limits = SupervisionLimits(
            deadline: spawnedAt + function.timeout.nanoseconds, killGrace: settings.killGrace.nanoseconds,
            outputLimit: settings.outputLimit
        )
        let log = LogCapture(capacity: settings.logTailLimit)
        if let logHub { log.follow(invocation: request.id, function: function.name, hub: logHub) }
        let supervision = ProcessSupervisor(
            process: process, input: request.payload, cancellation: cancellation, limits: limits, log: log,
            samplesMemory: !instance.measuresPeakMemory
        ).run()

        let termination = supervision.waitStatus.map(Termination.init(waitStatus:))
        var usage = ResourceUsage(supervision.usage, peakRSSBytes: supervision.peakRSSBytes)
        let cgroupUsage = instance.finish()
        if let cgroupUsage {
            usage.apply(cgroupUsage)
        }
        let verdict = Verdict.of(
            termination: termination, stopReason: supervision.stopReason, usage: usage,
            memoryLimitBytes: function.memoryBytes, timeout: function.timeout, outputLimit: settings.outputLimit,
            memory: cgroupUsage.map { .cgroup(oomKills: $0.oomKills) } ?? .rlimit
        )
        if case .supervisionFailed(let error) = supervision.stopReason {
            logger.error("supervising handler failed", metadata: metadata(["error": "\(error)"]))
        }
        return finished(
            startedAt: startedAt, endedAt: supervision.endedAt,
            durationMicros: function.recordedDurationMicros(measured: (supervision.exitedAt - spawnedAt) / 1000, outcome: verdict.outcome),
            usage: usage, termination: termination,
            verdict: verdict, output: supervision.output, log: supervision.log
        )
    }

    /// The executable, arguments, environment and limits of this invocation's process.
    private func spawnOptions(workingDirectory: String, startedAt: Date) throws -> SpawnOptions {
        let environment = try HandlerEnvironment(
            request: request, function: function, workingDirectory: workingDirectory, startedAt: startedAt,
            region: settings.region
        )
        let command = try HandlerCommand(
            resolving: function.command, in: function.directory, searchPath: environment.searchPath
        )
        return SpawnOptions(
            command: command, environment: environment.entries, workingDirectory: workingDirectory,
            memoryBytes: function.memoryBytes, openFiles: settings.openFiles, processes: settings.processes,
            cpuSeconds: host.cpuSeconds(for: function.timeout), descriptorLimit: host.descriptorLimit
        )
    }

    /// Gives the instance's directories to the handler user and takes its cgroup.
    private func isolate(workingDirectory: String) throws(SystemError) -> InstanceIsolation {
        try isolation.prepareDirectory(workingDirectory)
        if let outputDirectory = request.outputDirectory {
            try isolation.prepareDirectory(outputDirectory)
        }
        let paths = InstancePaths(
            functionDirectory: function.directory, workingDirectory: workingDirectory, objectPath: request.objectPath,
            outputDirectory: request.outputDirectory
        )
        return try isolation.instance(of: function, paths: paths)
    }

    private func removeWorkingDirectory(_ path: String) {
        do throws(SystemError) {
            try WorkingDirectory.remove(path)
        } catch {
            logger.warning(
                "cannot remove working directory", metadata: metadata(["path": "\(path)", "error": "\(error)"])
            )
        }
    }

    // MARK: Results

    /// The result of an invocation that ended before a process ran.
    func notStarted(_ outcome: InvocationOutcome, message: String, at date: Date = Date()) -> InvocationResult {
        finished(
            startedAt: date, endedAt: date, durationMicros: 0, usage: .zero, termination: nil,
            verdict: Verdict(outcome: outcome, message: message), output: Data(), log: Data(), startedProcess: false
        )
    }

    private func finished(
        startedAt: Date, endedAt: Date, durationMicros: Int64, usage: ResourceUsage, termination: Termination?,
        verdict: Verdict, output: Data, log: Data, startedProcess: Bool = true
    ) -> InvocationResult {
        let record = InvocationRecord(
            id: request.id, function: function.name, trigger: request.trigger, source: request.source,
            attempt: request.attempt, startedAt: startedAt, endedAt: endedAt, durationMicros: durationMicros,
            memoryLimitMB: function.memoryMB, peakRSSBytes: usage.peakRSSBytes,
            userCPUMicros: usage.userCPUMicros, systemCPUMicros: usage.systemCPUMicros,
            exitCode: termination?.exitCode, signal: termination?.signal, coldStart: startedProcess,
            outcome: verdict.outcome, errorMessage: verdict.message
        )
        logger.debug(
            "invocation ended",
            metadata: metadata([
                "flint.outcome": "\(verdict.outcome.rawValue)", "flint.duration_us": "\(durationMicros)",
            ])
        )
        return InvocationResult(record: record, output: output, log: log)
    }

    private func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "flint.invocation.id": "\(request.id)", "flint.function": "\(function.name)",
            "flint.source": "\(request.source.rawValue)", "flint.attempt": "\(request.attempt)",
        ]
        if let trigger = request.trigger { metadata["flint.trigger"] = "\(trigger)" }
        return extra.merging(metadata, uniquingKeysWith: { $1 })
    }
}
