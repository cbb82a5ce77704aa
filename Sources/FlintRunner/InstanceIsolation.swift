import Dispatch
import Glibc
import Synchronization

/// One handler process's share of `HandlerIsolation`: the user it runs as, its cgroup, and its
/// sandbox. `apply(to:)` adjusts its `SpawnOptions`; `finish()`, once the process has been reaped,
/// kills whatever is left in its cgroup, reads what the cgroup measured, and hands it back.
final class InstanceIsolation: Sendable {
    let paths: InstancePaths
    let credentials: SpawnOptions.Credentials?
    let sandbox: BubblewrapCommand?
    private let cgroup: Mutex<InstanceCgroup?>
    /// A thread already in the cgroup, to spawn from (`spawnBlocking`); nil once handed the spawn.
    private let standby: Mutex<CgroupStandby?>
    /// The bucket object's descriptor the sandbox binds (`SandboxedObject`), until `finish`.
    private let objectFD = Mutex<CInt?>(nil)
    /// Prepares a standby for the function's next instance, once this one is spawned, when the
    /// function is quiet (`CgroupPool.instanceStarted`; nil: its instances join their cgroup at spawn).
    private let prepareNextStandby: (@Sendable () -> Void)?
    private let pool: CgroupPool?
    /// Whether the process's memory is limited by its cgroup (rather than RLIMIT_DATA).
    let hasMemoryCgroup: Bool
    /// Whether its cgroup measures the peak memory of the instance (not cgroup v2 before Linux 5.19).
    let measuresPeakMemory: Bool

    init(
        paths: InstancePaths, credentials: SpawnOptions.Credentials?, sandbox: BubblewrapCommand?,
        cgroup: InstanceCgroup?, standby: CgroupStandby? = nil, prepareNextStandby: (@Sendable () -> Void)? = nil,
        pool: CgroupPool?
    ) {
        self.paths = paths
        self.credentials = credentials
        self.sandbox = sandbox
        self.cgroup = Mutex(cgroup)
        self.standby = Mutex(standby)
        self.prepareNextStandby = prepareNextStandby
        self.pool = pool
        self.hasMemoryCgroup = cgroup != nil
        self.measuresPeakMemory = cgroup?.counters.measuresPeak ?? false
    }

    /// A cgroup still held (finish was never called) goes back to the pool.
    deinit {
        _ = finish()
    }

    /// Runs the process as the handler user, in its cgroup, in its sandbox.
    ///
    /// With a cgroup, the memory limit is the cgroup's: RLIMIT_DATA would fail allocations before
    /// the cgroup's limit could end the process as OOM. With a `pids` cgroup the process count is
    /// limited per instance, so RLIMIT_NPROC (counted per user, across every handler running as
    /// that user) is left as inherited: one handler's fork bomb must not stop the others' forks.
    /// Nor is RLIMIT_NPROC set for a handler running as the daemon's own user (no handler user):
    /// the kernel would count all of that user's tasks against it (the daemon's threads, a desktop
    /// session), so every fork in the handler could fail with EAGAIN.
    func apply(to options: inout SpawnOptions) {
        options.credentials = credentials
        options.oomScoreAdjust = pool?.handlerOOMScore
        if credentials == nil {
            options.processes = 0
        }
        cgroup.withLock { cgroup in
            guard let cgroup else { return }
            options.cgroupJoinFDs = cgroup.joinFDs
            options.memoryBytes = 0
            if cgroup.pids != nil {
                options.processes = 0
            }
        }
        if let sandbox {
            let object = paths.objectPath.flatMap { SandboxedObject.open($0, beneath: sandbox.hiddenPaths) }
            objectFD.withLock { held in
                if let previous = held { close(previous) }
                held = object
            }
            options.passedFD = object
            options.command = sandbox.wrapping(options.command, paths: paths, objectBound: object != nil)
        }
    }

    /// Spawns on a thread of its own, then supervises what it spawned (blocking calls both:
    /// never on Swift's cooperative pool), as `spawnBlocking` does.
    func launch<Started: Sendable>(
        _ options: SpawnOptions,
        spawn: @escaping @Sendable (SpawnOptions) -> Started,
        supervise: @escaping @Sendable (Started) -> Void
    ) throws(SystemError) {
        try SupervisorThread.start { [self] in
            supervise(spawnBlocking(options, spawn: spawn))
        }
    }

    /// Spawns the process, blocking the calling thread (a supervisor thread, never one of Swift's
    /// cooperative pool) until it is started.
    ///
    /// With a standby thread, `spawn` runs on it, with options that do not join the cgroup (the
    /// process is born in it), while the calling thread waits; the standby then ends. Without
    /// one, `spawn` runs on the calling thread and the process joins its cgroup. Either way, once
    /// spawned, the next instance's standby is prepared (when the function's instances use them).
    /// The caller's thread is never the standby: a thread is born in the cgroups of the thread
    /// that creates it, and Flint's own threads must stay in its own.
    func spawnBlocking<Started: Sendable>(_ options: SpawnOptions, spawn: @escaping @Sendable (SpawnOptions) -> Started) -> Started {
        defer { prepareNextStandby?() }
        guard let standby = standby.withLock({ $0.take() }) else { return spawn(options) }
        let started = Mutex<Started?>(nil)
        let spawned = DispatchSemaphore(value: 0)
        standby.run { joined in
            var options = options
            if joined { options.cgroupJoinFDs = [] }
            // The standby is in the memory cgroup (its first) even when a later move failed.
            options.oomScoreAdjust = OOMProtection.standbyHandlerScore
            started.withLock { $0 = spawn(options) }
            spawned.signal()
        }
        spawned.wait()
        // The standby stored the result before signalling; spawning here instead is only a
        // guard (the process then joins its cgroup).
        return started.withLock({ $0.take() }) ?? spawn(options)
    }

    /// The instance's memory high-water mark so far, every process of it (its cgroup's); nil
    /// without a memory cgroup, or once `finish()` handed it back.
    func peakMemoryBytes() -> Int64? {
        cgroup.withLock { $0?.counters.peakMemoryBytes() }
    }

    /// Ends the instance's use of its cgroup: kills what is left in it, reads its figures, and
    /// hands it back. nil without a cgroup (or when called again).
    func finish() -> CgroupUsage? {
        // Never launched: the standby's thread ends without spawning.
        standby.withLock { $0.take() }?.cancel()
        if let object = objectFD.withLock({ $0.take() }) { close(object) }
        guard let held = cgroup.withLock({ cgroup in cgroup.take() }), let pool else { return nil }
        let emptied = held.killRemaining(deadline: Sys.monotonicNanoseconds() + pool.emptyingTimeout)
        let usage = held.usage()
        pool.release(held, emptied: emptied)
        return usage
    }
}
