internal import Foundation

/// A loop that blocks (on a semaphore, in poll(2)) gets a thread of its own: Swift's cooperative
/// threads, two on this kind of machine, must never wait on one.
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns once it has returned. Cancelling the
    /// calling task calls `stop`, which must make `body` return soon.
    public static func run(named name: String, _ body: @escaping @Sendable () -> Void, stop: @escaping @Sendable () -> Void) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                start(named: name) {
                    body()
                    continuation.resume()
                }
            }
        } onCancel: {
            stop()
        }
    }

    /// Starts `body` on a new thread named `name` (`ThreadName`) and returns at once.
    public static func start(named name: String, _ body: @escaping @Sendable () -> Void) {
        Thread {
            ThreadName.set(name)
            body()
        }.start()
    }
}
