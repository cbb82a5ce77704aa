internal import CFlintSpawn  // flint_release_free_memory
import Glibc
import Synchronization

/// Runs blocking work on a thread of its own, so that Swift's cooperative pool is never blocked by a
/// poll(2) that lasts as long as a handler.
///
/// Threads are kept for reuse: creating one per invocation (clone3, a fresh stack to fault in,
/// scheduling) cost about 7% of the daemon's CPU under load. A thread idle for `idleLifetime`
/// ends, so an idle daemon keeps none (scale to zero applies to Flint's own threads too).
enum SupervisorThread {
    /// The stack of a supervisor thread: the work makes no deep calls.
    static let stackSize = 512 * 1024
    /// How long an idle thread waits for more work before it ends.
    static let idleLifetime: Duration = .seconds(10)

    private static let pool = Pool()

    /// Runs `body` on an idle supervisor thread, or on a new one if none is idle.
    static func start(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
        try pool.run(body)
    }

    /// An idle thread parks on its own semaphore; `run` hands it the work and posts.
    private final class Worker: @unchecked Sendable {
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        /// Written by `run` before the post, read by the worker after its wait: the semaphore orders them.
        var work: (@Sendable () -> Void)?

        init() { sem_init(semaphore, 0, 0) }

        deinit {
            sem_destroy(semaphore)
            semaphore.deallocate()
        }
    }

    private final class Pool: Sendable {
        private struct State {
            var idle: [Worker] = []
            var threads = 0
        }

        private let state = Mutex(State())

        func run(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
            let parked = state.withLock { state -> Worker? in
                if let worker = state.idle.popLast() { return worker }
                state.threads += 1
                return nil
            }
            if let parked {
                parked.work = body
                sem_post(parked.semaphore)
                return
            }
            let worker = Worker()
            worker.work = body
            do {
                try spawn(worker)
            } catch {
                state.withLock { $0.threads -= 1 }
                throw error
            }
        }

        private func spawn(_ worker: Worker) throws(SystemError) {
            try DetachedThread.start(named: "flint-supervise", stackSize: SupervisorThread.stackSize) { self.loop(worker) }
        }

        /// Runs work until the thread has been idle for `idleLifetime`.
        private func loop(_ worker: Worker) {
            while true {
                if let work = worker.work {
                    worker.work = nil
                    work()
                }
                state.withLock { $0.idle.append(worker) }
                if wait(on: worker.semaphore, for: SupervisorThread.idleLifetime) { continue }
                // Timed out. If `run` claimed this worker meanwhile, its post is on the way: take it.
                let retired = state.withLock { state -> (Bool, last: Bool) in
                    guard let index = state.idle.firstIndex(where: { $0 === worker }) else { return (false, false) }
                    state.idle.remove(at: index)
                    state.threads -= 1
                    return (true, state.threads == 0)
                }
                if retired.0 {
                    // The last one out gives back what glibc's per-thread malloc arenas kept from the
                    // burst that made these threads: an idle daemon returns to its resting size.
                    if retired.last { _ = flint_release_free_memory() }
                    return
                }
                while sem_wait(worker.semaphore) != 0 && errno == EINTR {}
            }
        }

        /// True when posted, false when `timeout` passed first.
        private func wait(on semaphore: UnsafeMutablePointer<sem_t>, for timeout: Duration) -> Bool {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            deadline.tv_sec += Int(timeout.components.seconds)
            while true {
                if sem_timedwait(semaphore, &deadline) == 0 { return true }
                if errno != EINTR { return false }
            }
        }
    }
}
