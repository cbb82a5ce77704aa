internal import CFlintSpawn  // pthread_attr_t's zero initializer is attributed to the shim's module
import Glibc

/// Runs blocking work on a thread of its own, so that Swift's cooperative pool is never blocked by a
/// poll(2) that lasts as long as a handler.
enum SupervisorThread {
    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// The stack of a supervisor thread: the work makes no deep calls.
    static let stackSize = 512 * 1024

    /// Starts a detached thread that runs `body` and ends.
    static func start(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, CInt(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)

        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread: pthread_t = 0
        let result = pthread_create(&thread, &attributes, { argument in
            guard let argument else { return nil }
            Unmanaged<Work>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, work)
        if result != 0 {
            Unmanaged<Work>.fromOpaque(work).release()
            throw SystemError("pthread_create", errno: result)
        }
    }
}
