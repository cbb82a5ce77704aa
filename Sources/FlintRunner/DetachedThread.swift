internal import CFlintSpawn  // pthread_attr_t's zero initializer is attributed to the shim's module
import Glibc
internal import FlintCore

/// Starts a detached POSIX thread of its own for blocking work (Swift's cooperative pool must
/// never wait on a poll(2) or a kernel lock).
enum DetachedThread {
    /// Starts `body` on a thread named `name` (at most 15 bytes are kept).
    static func start(named name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        final class Start {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, CInt(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)

        let start = Unmanaged.passRetained(Start {
            ThreadName.set(name)
            body()
        }).toOpaque()
        var thread: pthread_t = 0
        let result = pthread_create(&thread, &attributes, { argument in
            guard let argument else { return nil }
            Unmanaged<Start>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, start)
        if result != 0 {
            Unmanaged<Start>.fromOpaque(start).release()
            throw SystemError("pthread_create", errno: result)
        }
    }
}
