internal import CFlintSpawn  // flint_gettid
import Glibc
import Synchronization

/// A thread that waits inside an idle cgroup v1 instance cgroup, so that the next instance of its
/// function starts there without being moved in.
///
/// Moving a task into a cgroup takes the kernel's `cgroup_threadgroup_rwsem` for writing, and the
/// first move after a quiet moment waits for an RCU grace period: 6–30 ms here, on every cold start
/// that joins its cgroup at spawn. A process is born in the cgroups of the thread that forks it,
/// and on cgroup v1 one thread may sit in another cgroup than the rest of its process; so this
/// thread moves itself in ahead of time, off the cold path, and the spawn moves nothing.
///
/// It runs one spawn and then ends (ending moves nothing): a thread left in a function's cgroup
/// must never go back to a pool that spawns other functions' handlers. While it waits, the daemon's
/// pid is listed in the cgroup's `cgroup.procs`; `CgroupCounters.memberPIDs` leaves it out.
final class CgroupStandby: Sendable {
    let cgroup: InstanceCgroup

    private let gate = Gate()
    private let state = Mutex(State())

    private struct State {
        /// The work handed over; `run` sets it once.
        var work: (@Sendable (_ joined: Bool) -> Void)?
        var cancelled = false
    }

    /// A semaphore the thread parks on, and one it posts once it has left the cgroup (by ending).
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

    /// Starts the thread, which joins `cgroup` (every hierarchy) and waits for `run` or `cancel`.
    init(cgroup: InstanceCgroup) throws(SystemError) {
        self.cgroup = cgroup
        try DetachedThread.start(stackSize: SupervisorThread.stackSize) { [self] in
            let joined = join()
            Gate.wait(gate.wake)
            if let work = state.withLock({ $0.work }) { work(joined) }
            // Posted last: whoever waits for it may remove the cgroup once the thread is gone.
            sem_post(gate.ended)
        }
    }

    /// Runs `work` on the thread, which then ends. `joined`: whether the thread is in every
    /// directory of the cgroup, so that what it spawns is born there (false: the spawn must join).
    func run(_ work: @escaping @Sendable (_ joined: Bool) -> Void) {
        state.withLock { $0.work = work }
        sem_post(gate.wake)
    }

    /// Ends the thread without work and waits until it has posted its end.
    func cancel() {
        let first = state.withLock { state -> Bool in
            defer { state.cancelled = true }
            return !state.cancelled && state.work == nil
        }
        guard first else { return }
        sem_post(gate.wake)
        Gate.wait(gate.ended)
    }

    /// Writes this thread's id into each directory's `tasks`; false at the first that fails (the
    /// thread may then be in some of them, and still ends after its work).
    private func join() -> Bool {
        let thread = String(flint_gettid())
        for directory in cgroup.directories {
            do throws(SystemError) {
                try FileText.write(thread, to: directory + "/tasks")
            } catch {
                return false
            }
        }
        return true
    }
}
