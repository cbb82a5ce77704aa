public import NIOCore

/// Runs a task's jobs on one NIO event loop.
///
/// An HTTP connection's task that prefers its channel's event loop reads each request, invokes
/// and writes the response on the thread that does the channel's I/O, instead of handing every
/// step to the cooperative pool and back. `LambdaRunner` then keeps the invocation on that loop
/// too (a warm instance of the loop first), so a warm request can run start to end on one thread.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
