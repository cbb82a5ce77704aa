import Glibc
import Synchronization

/// A thread that waits inside a cgroup v1 instance cgroup it prepared, so that the next instance
/// of its function starts there without being moved in.
///
/// Moving a process into a cgroup takes the kernel's `cgroup_threadgroup_rwsem` for writing, and
/// the first move after a quiet moment waits for an RCU grace period: 6–30 ms. The spawn moves its
/// child by writing "0" (itself) to `tasks`, one thread, which recent kernels do without that lock
/// (~0.13 ms here, Linux 6.18, where a start from a standby measures the same as one that joins),
/// but older ones take it for a single thread too. This thread moves itself the same way.
///
/// A process is born in the cgroups of the thread that forks it, and on cgroup v1 one thread may
/// sit in another cgroup than the rest of its process; so this thread takes a cgroup and moves
/// itself in ahead of time, off the cold path, and the spawn moves nothing.
///
/// It runs one spawn and then ends (ending moves nothing). It never starts a thread, which would
/// be born in the function's cgroup too. While it waits, the daemon's pid is listed in the cgroup's
/// `cgroup.procs`; `CgroupCounters.memberPIDs` leaves it out.
final class CgroupStandby: Sendable {
    /// The limit of the cgroup it prepares (its function's `memory`).
    let memoryBytes: Int

    private let gate = Gate()
    private let state = Mutex(State())

    private struct State {
        var phase = Phase.preparing
        /// The work handed over; `run` sets it once.
        var work: (@Sendable (_ joined: Bool) -> Void)?
        var cancelled = false
    }

    enum Phase {
        case preparing
        /// In the cgroup; `joined` false when a move failed part way (the spawn must join).
        case ready(InstanceCgroup, joined: Bool)
        /// No cgroup could be had.
        case failed
    }

    /// A semaphore the thread parks on, and one it posts once done with the cgroup.
    private final class Gate: @unchecked Sendable {
        let wake = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        let ended = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        init() {
            sem_init(wake, 0, 0)
            sem_init(ended, 0, 0)
        }
        deinit {
            sem_destroy(wake)
            sem_destroy(ended)
            wake.deallocate()
            ended.deallocate()
        }
        static func wait(_ semaphore: UnsafeMutablePointer<sem_t>) {
            while sem_wait(semaphore) != 0 && errno == EINTR {}
        }
    }

    init(memoryBytes: Int) {
        self.memoryBytes = memoryBytes
    }

    /// Starts the thread: it takes a cgroup from `acquire`, moves itself into each of its
    /// directories, and waits for `run` or `cancel`. When no thread can be started, the standby
    /// has failed and ended: a `cancel` (a pool closing meanwhile) does not wait for a thread.
    func begin(acquire: @escaping @Sendable () -> InstanceCgroup?) throws(SystemError) {
        do throws(SystemError) {
            try startThread(acquire: acquire)
        } catch {
            state.withLock { $0.phase = .failed }
            sem_post(gate.ended)
            throw error
        }
    }

    private func startThread(acquire: @escaping @Sendable () -> InstanceCgroup?) throws(SystemError) {
        try DetachedThread.start(named: "flint-standby", stackSize: SupervisorThread.stackSize) { [self] in
            if let cgroup = acquire() {
                let joined = join(cgroup)
                state.withLock { $0.phase = .ready(cgroup, joined: joined) }
            } else {
                state.withLock { $0.phase = .failed }
            }
            Gate.wait(gate.wake)
            if let work = state.withLock({ $0.work }) {
                if case .ready(_, let joined) = phase { work(joined) } else { work(false) }
            }
            // Posted last: whoever waits for it may reuse or remove the cgroup.
            sem_post(gate.ended)
        }
    }

    var phase: Phase {
        state.withLock { $0.phase }
    }

    /// Runs `work` on the thread, which then ends. `joined`: whether the thread is in every
    /// directory of the cgroup, so that what it spawns is born there (false: the spawn must join).
    func run(_ work: @escaping @Sendable (_ joined: Bool) -> Void) {
        state.withLock { $0.work = work }
        sem_post(gate.wake)
    }

    /// Ends the thread without work, once it has prepared, and waits until it has posted its end.
    /// Returns the cgroup it prepared, if any, for the caller to hand back.
    @discardableResult
    func cancel() -> InstanceCgroup? {
        let first = state.withLock { state -> Bool in
            defer { state.cancelled = true }
            return !state.cancelled && state.work == nil
        }
        guard first else { return nil }
        sem_post(gate.wake)
        Gate.wait(gate.ended)
        if case .ready(let cgroup, _) = phase { return cgroup }
        return nil
    }

    /// Moves this thread into each directory through the cgroup's open join files, as the spawn
    /// moves a child: "0", the writer itself (with its own thread id the kernel would take
    /// `cgroup_threadgroup_rwsem`, and wait the RCU grace period, holding `cgroup_mutex`
    /// meanwhile, which every spawn's join then waits for); false at the first that fails.
    private func join(_ cgroup: InstanceCgroup) -> Bool {
        cgroup.joinFDs.allSatisfy { (try? FileText.write("0", fd: $0)) != nil }
    }
}
