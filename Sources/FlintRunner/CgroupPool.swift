import Dispatch
import Glibc
import Logging
import Synchronization

/// Flint's cgroups on this machine: one parent per daemon, `<own cgroup>/flint/<pid>-<start time>-<n>`
/// (in each hierarchy on cgroup v1), and under it one cgroup per instance.
///
/// On v1 an instance's cgroup is kept when it ends and reused by the next instance of the same
/// function (its counters reset), which saves a mkdir and an rmdir per hierarchy on every
/// invocation, and a `CgroupStandby` thread waits in one more cgroup of each function whose starts
/// are apart (`quietGap`), for its next instance to be born in. On v2 `memory.peak` cannot be
/// reset on every kernel, so each instance gets a fresh cgroup. Parents left by a daemon that was killed are emptied and removed
/// when the next starts.
final class CgroupPool: Sendable {
    let version: CgroupVersion
    /// The daemon's parent cgroups: memory (on v2 the only one), pids and cpuacct.
    let memoryParent: String
    let pidsParent: String?
    let cpuParent: String?
    /// `pids.max` of each instance.
    let processes: Int
    /// On v1 (with standby threads): the `oom_score_adj` handlers get once the daemon has protected
    /// itself from the OOM killer (`OOMProtection`); nil: handlers inherit the daemon's.
    let handlerOOMScore: String?
    private let logger: Logger
    private let state = Mutex(State())

    /// Idle v1 cgroups kept for reuse, at most.
    static let idleLimit = 64
    /// A v1 cgroup still charged with more than this once empty is not reused: the page cache its
    /// use brought in stays charged to it, and would count in the next use's peak memory.
    static let reuseChargeLimit: Int64 = 4 << 20
    /// Standby threads, at most (one per function).
    static let standbyLimit = 32
    /// How long emptying a cgroup may take before it is given up on (and left for shutdown), in
    /// nanoseconds; the stale cgroups of a daemon that is gone get `IsolationSettings`' default.
    let emptyingTimeout: Int64
    static let defaultEmptyingTimeout = IsolationSettings().emptyingTimeout.nanoseconds
    /// A function whose starts are at least this far apart (nanoseconds) is quiet: each start
    /// prepares a standby for the next. One that starts more often gets none until its starts
    /// pause this long. A standby saves a start the join at spawn, which is slow (several ms) only
    /// after a pause in cgroup moves; in a burst the next spawn mostly comes before the standby is
    /// ready, and a thread made, moved into the cgroups and ended per start cost more than the
    /// joins it saved (8-11 % fewer messages/s, measured with 8 instances at once).
    let quietGap: Int64
    static let defaultQuietGap: Int64 = 5_000_000
    /// How long after a quiet start (nanoseconds) the next instance's standby is prepared: past
    /// the handler's own start (~0.5 ms here), well before a next start `quietGap` later.
    static let standbyDelay: Int64 = 2_000_000

    private struct State {
        var idle: [String: [InstanceCgroup]] = [:]
        var idleCount = 0
        /// By function: a thread waiting in a cgroup of its own for the function's next instance.
        var standbys: [String: CgroupStandby] = [:]
        /// By function: when its latest instance started (CLOCK_MONOTONIC nanoseconds).
        var lastStart: [String: Int64] = [:]
        /// Functions whose starts came too close together, with a look pending for when they pause.
        var pausesAwaited: Set<String> = []
        /// The project's functions and their memory limits, once a reload has said (nil: keep
        /// cgroups of any function). Cgroups of other functions, or with another limit, are not kept.
        var current: [String: Int]?
        /// Set by `close`: nothing more is kept.
        var closed = false

        /// Whether cgroups of `function` with this memory limit are worth keeping.
        func wants(_ function: String, memoryBytes: Int) -> Bool {
            !closed && (current.map { $0[function] == memoryBytes } ?? true)
        }
        var created = 0
        /// Cgroups that could not be emptied or removed (their files closed); emptying and removal
        /// are tried again at shutdown.
        var stuck: [InstanceCgroup] = []
    }

    init(
        version: CgroupVersion, memoryParent: String, pidsParent: String?, cpuParent: String?, processes: Int,
        emptyingTimeout: Int64, quietGap: Int64 = CgroupPool.defaultQuietGap, logger: Logger
    ) {
        self.emptyingTimeout = emptyingTimeout
        self.quietGap = quietGap
        self.version = version
        self.memoryParent = memoryParent
        self.pidsParent = pidsParent
        self.cpuParent = cpuParent
        self.processes = processes
        self.logger = logger
        self.handlerOOMScore = version == .v1 ? OOMProtection.handlerScore : nil
    }

    deinit {
        close()
    }

    /// Removes every cgroup the pool kept (idle, with a standby, or stuck), killing what is left
    /// in them, then this daemon's parents: when Flint stops, after its handlers have ended. Later
    /// releases remove their cgroup instead of keeping it, and no standby is prepared. Idempotent.
    func close() {
        let (idle, stuck, standbys) = state.withLock { state in
            defer {
                state.closed = true
                state.idle = [:]
                state.idleCount = 0
                state.stuck = []
                state.standbys = [:]
            }
            return (state.idle.values.flatMap { $0 }, state.stuck, Array(state.standbys.values))
        }
        // Their threads end first: a cgroup with a task in it cannot be removed.
        let prepared = standbys.compactMap { $0.cancel() }
        let deadline = Sys.monotonicNanoseconds() + emptyingTimeout
        for cgroup in idle + prepared {
            _ = cgroup.killRemaining(deadline: deadline)
            cgroup.closeFiles()
        }
        for cgroup in idle + prepared + stuck {
            _ = InstanceCgroup.killAll(in: cgroup.memory, version: version, deadline: deadline)
            do throws(SystemError) {
                try cgroup.removeDirectories(retryingUntil: deadline)
            } catch {
                logger.warning("cannot remove cgroup: \(error)")
            }
        }
        // Then `<own cgroup>/flint`, unless another daemon's parent is in it.
        for parent in Set([memoryParent, pidsParent, cpuParent].compactMap { $0 }) {
            try? Sys.rmdir(parent)
            try? Sys.rmdir(String(parent[..<(parent.lastIndex(of: "/") ?? parent.endIndex)]))
        }
    }

    // MARK: Instances

    /// A cgroup for one instance of `function`, limited to `memoryBytes` and `processes`.
    ///
    /// - Parameter standby: whether the function's instances should start without joining their
    ///   cgroup (v1): the cgroup comes with the function's `CgroupStandby` when one is ready in it.
    ///   Call `prepareStandby` once the instance has started, for the next.
    func acquire(function: String, memoryBytes: Int, standby: Bool = false) throws(SystemError) -> (InstanceCgroup, CgroupStandby?) {
        if standby, let (ready, cgroup) = takeReadyStandby(function: function, memoryBytes: memoryBytes) {
            var cgroup = cgroup
            do throws(SystemError) {
                try cgroup.reset()
                return (cgroup, ready)
            } catch {
                logger.warning("cannot reset cgroup \(cgroup.memory) for reuse: \(error); making a new one")
                ready.cancel()
                cgroup.closeFiles()
                state.withLock { $0.stuck.append(cgroup) }
            }
        }
        return (try acquireCgroup(function: function, memoryBytes: memoryBytes), nil)
    }

    /// An instance of `function` has been spawned: if its previous start was `quietGap` or more
    /// before, a standby is prepared for the next, `standbyDelay` later; otherwise once the
    /// function's starts pause `quietGap` (so the last start of a burst still leaves one for the
    /// next).
    func instanceStarted(function: String, memoryBytes: Int) {
        guard version == .v1, processes >= 2 else { return }
        let now = Sys.monotonicNanoseconds()
        let (quiet, awaitPause) = state.withLock { state -> (Bool, Bool) in
            let previous = state.lastStart.updateValue(now, forKey: function)
            let quiet = previous.map { now - $0 >= quietGap } ?? true
            return (quiet, !quiet && state.pausesAwaited.insert(function).inserted)
        }
        if quiet {
            // Not at once, on the thread that spawned: the standby's thread, made and moved into
            // the cgroups then, would compete for the CPUs with the handler's execve and start.
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(Self.standbyDelay))) { [weak self] in
                self?.prepareStandby(function: function, memoryBytes: memoryBytes)
            }
        } else if awaitPause {
            prepareStandbyOncePaused(function: function, memoryBytes: memoryBytes, lookAt: now + quietGap)
        }
    }

    /// Looks at `lookAt` (CLOCK_MONOTONIC nanoseconds) whether `function` has started nothing for
    /// `quietGap`: then prepares its standby, else looks again that long after its latest start.
    private func prepareStandbyOncePaused(function: String, memoryBytes: Int, lookAt: Int64) {
        let delay = max(0, lookAt - Sys.monotonicNanoseconds())
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: delay))) { [weak self] in
            guard let self else { return }
            let now = Sys.monotonicNanoseconds()
            let nextLook = state.withLock { state -> Int64? in
                let latest = state.lastStart[function] ?? 0
                guard now - latest < quietGap else {
                    state.pausesAwaited.remove(function)
                    return nil
                }
                return latest + quietGap
            }
            if let nextLook {
                prepareStandbyOncePaused(function: function, memoryBytes: memoryBytes, lookAt: nextLook)
            } else {
                prepareStandby(function: function, memoryBytes: memoryBytes)
            }
        }
    }

    /// Whether `function` has a standby, ready or preparing.
    func hasStandby(for function: String) -> Bool {
        state.withLock { $0.standbys[function] != nil }
    }

    /// Starts a standby thread in a cgroup of `function`'s for its next instance, unless it has one
    /// (or there are enough). Only on v1, where a thread may sit apart from its process; where a
    /// handler may have more than one process (the thread counts in `pids.current`); and where the
    /// daemon is safe from the OOM killer while its thread is in the cgroup (`OOMProtection`;
    /// checked again when the standby is used).
    func prepareStandby(function: String, memoryBytes: Int) {
        guard version == .v1, processes >= 2 else { return }
        func wanted(_ state: State) -> Bool {
            state.standbys[function] == nil && state.standbys.count < Self.standbyLimit && state.wants(function, memoryBytes: memoryBytes)
        }
        // Called after each quiet start: most often the function has its standby already, which the
        // lock tells before /proc/self/statm is read or a standby made.
        guard state.withLock({ wanted($0) }), OOMProtection.allowsStandby(memoryBytes: memoryBytes) else { return }
        let standby = CgroupStandby(memoryBytes: memoryBytes)
        let claimed = state.withLock { state in
            guard wanted(state) else { return false }
            state.standbys[function] = standby
            return true
        }
        guard claimed else { return }
        do throws(SystemError) {
            // Weak: the pool may end while the thread prepares (it then has no cgroup).
            try standby.begin { [weak self] in
                guard let self else { return nil }
                do throws(SystemError) {
                    return try acquireCgroup(function: function, memoryBytes: memoryBytes)
                } catch {
                    logger.warning("cannot prepare a cgroup for the next instance of \(function): \(error)")
                    return nil
                }
            }
        } catch {
            logger.warning("cannot start a standby thread for \(function): \(error)")
            state.withLock { state in
                if state.standbys[function] === standby { state.standbys[function] = nil }
            }
        }
    }

    private func acquireCgroup(function: String, memoryBytes: Int) throws(SystemError) -> InstanceCgroup {
        if version == .v1, var reused = takeIdle(function: function, memoryBytes: memoryBytes) {
            do throws(SystemError) {
                try reused.reset()
                return reused
            } catch {
                logger.warning("cannot reset cgroup \(reused.memory) for reuse: \(error); making a new one")
                try? reused.remove()
            }
        }
        let number = state.withLock { state in
            state.created += 1
            return state.created
        }
        let name = "/\(number)"
        return try InstanceCgroup.create(
            version: version, function: function, memory: memoryParent + name, pids: pidsParent.map { $0 + name },
            cpu: cpuParent.map { $0 + name }, memoryBytes: memoryBytes, processes: processes
        )
    }

    /// Hands back an instance's cgroup once `InstanceCgroup.killRemaining` has run (`emptied`: it
    /// returned true): kept for reuse (v1, unless the page cache its use brought in is still
    /// charged to it past `reuseChargeLimit`) or removed. A removed cgroup's page cache stays
    /// cached, charged to it until the kernel reclaims it, as with every instance's cgroup on v2.
    func release(_ cgroup: InstanceCgroup, emptied: Bool) {
        guard emptied else {
            logger.warning("cgroup \(cgroup.memory) still has processes after SIGKILL; it is removed at shutdown")
            cgroup.closeFiles()
            state.withLock { $0.stuck.append(cgroup) }
            return
        }
        if version == .v1, (cgroup.chargedMemoryBytes() ?? .max) <= Self.reuseChargeLimit {
            let kept = state.withLock { state in
                guard state.idleCount < Self.idleLimit, state.wants(cgroup.function, memoryBytes: cgroup.memoryBytes)
                else { return false }
                state.idle[cgroup.function, default: []].append(cgroup)
                state.idleCount += 1
                return true
            }
            if kept { return }
        }
        do throws(SystemError) {
            try cgroup.remove()
        } catch where error.errno == EBUSY {
            // A process still on its way out; removal is tried again at shutdown.
            state.withLock { $0.stuck.append(cgroup) }
        } catch {
            logger.warning("cannot remove cgroup: \(error)")
        }
    }

    /// After a reload: the idle cgroups and standbys of functions no longer in `functions` (name
    /// → memory limit in bytes), or kept for another memory limit, are removed, and no more are
    /// kept for them. Runs on a thread of its own: a standby still preparing is waited for.
    func keepOnly(_ functions: [String: Int]) {
        let (idle, standbys) = state.withLock { state -> ([InstanceCgroup], [CgroupStandby]) in
            state.current = functions
            var dropped: [InstanceCgroup] = []
            for (function, var cgroups) in state.idle {
                let firstDropped = cgroups.partition { !state.wants(function, memoryBytes: $0.memoryBytes) }
                dropped += cgroups[firstDropped...]
                state.idle[function] = firstDropped == 0 ? nil : Array(cgroups[..<firstDropped])
            }
            state.idleCount -= dropped.count
            let stale = state.standbys.filter { !state.wants($0.key, memoryBytes: $0.value.memoryBytes) }
            for function in stale.keys { state.standbys[function] = nil }
            // A pending look for a removed function finds nothing wanted and ends on its own.
            state.lastStart = state.lastStart.filter { functions[$0.key] != nil }
            return (dropped, Array(stale.values))
        }
        guard !idle.isEmpty || !standbys.isEmpty else { return }
        do throws(SystemError) {
            try SupervisorThread.start { [self] in
                let deadline = Sys.monotonicNanoseconds() + emptyingTimeout
                for cgroup in idle + standbys.compactMap({ $0.cancel() }) {
                    cgroup.closeFiles()
                    do throws(SystemError) {
                        try cgroup.removeDirectories(retryingUntil: deadline)
                    } catch {
                        logger.warning("cannot remove cgroup: \(error); it is removed at shutdown")
                        state.withLock { $0.stuck.append(cgroup) }
                    }
                }
            }
        } catch {
            logger.warning("cannot remove the cgroups of functions a reload removed: \(error); they are removed at shutdown")
            let prepared = standbys.compactMap { $0.cancel() }
            state.withLock { $0.stuck += idle + prepared }
        }
    }

    /// The function's standby and its cgroup, once it is in it. A standby still preparing stays
    /// for a later start (this one joins at spawn, which costs no more than waiting for it would).
    /// One that failed ends; one with another memory limit (`memory` changed by a reload) ends and
    /// its cgroup becomes idle.
    private func takeReadyStandby(function: String, memoryBytes: Int) -> (CgroupStandby, InstanceCgroup)? {
        let taken = state.withLock { state -> (CgroupStandby, CgroupStandby.Phase)? in
            guard let standby = state.standbys[function] else { return nil }
            let phase = standby.phase
            if case .preparing = phase { return nil }
            state.standbys[function] = nil
            return (standby, phase)
        }
        guard let (standby, phase) = taken else { return nil }
        if case .ready(let cgroup, _) = phase, cgroup.memoryBytes == memoryBytes,
            OOMProtection.allowsStandby(memoryBytes: memoryBytes)
        {
            return (standby, cgroup)
        }
        if let cgroup = standby.cancel() { release(cgroup, emptied: true) }
        return nil
    }

    private func takeIdle(function: String, memoryBytes: Int) -> InstanceCgroup? {
        state.withLock { state in
            guard var list = state.idle[function], let index = list.lastIndex(where: { $0.memoryBytes == memoryBytes })
            else { return nil }
            let cgroup = list.remove(at: index)
            state.idle[function] = list
            state.idleCount -= 1
            return cgroup
        }
    }
}
