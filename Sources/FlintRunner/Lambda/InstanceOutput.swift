import Foundation
import Synchronization

/// What an instance writes on stdout and stderr, merged, kept for the invocation running at the
/// time: Lambda runtimes log to both. Bytes written between invocations (the runtime's start-up
/// included) go to the next one, so a cold start's import errors reach the invocation that waited.
///
/// The supervisor thread reads as the pipes become readable; the event loop drains them once more
/// when a `/response` arrives, since a handler's last log lines are written just before it. Both
/// read under the lock, so bytes stay in order and none is read twice.
final class InstanceOutput: Sendable {
    enum Stream: Int { case stdout = 0, stderr = 1 }

    private struct State {
        /// The log of the invocation running now, or of the next one.
        var log: LogCapture
        /// The daemon's ends of the pipes; -1 once closed.
        var fds: [CInt]
        /// True once a pipe is at end of file (or failed). Its descriptor stays open until `close()`:
        /// the supervisor thread may be polling it, and a number closed under it could be reused.
        var ended = [false, false]
    }

    private let state: Mutex<State>
    private let capacity: Int
    /// At most this many reads per wake-up, so a chatty handler cannot hold the lock for long.
    static let readsPerWakeUp = 16

    /// Nothing is read until `attach` hands over the pipes.
    init(capacity: Int) {
        self.capacity = capacity
        state = Mutex(State(log: LogCapture(capacity: capacity), fds: [-1, -1]))
    }

    /// Takes ownership of the daemon's ends of a just-spawned process's stdout and stderr.
    func attach(stdout: CInt, stderr: CInt) {
        state.withLock { $0.fds = [stdout, stderr] }
    }

    /// The descriptor to poll for `stream`, or -1 once it has ended.
    func descriptor(_ stream: Stream) -> CInt {
        state.withLock { $0.ended[stream.rawValue] ? -1 : $0.fds[stream.rawValue] }
    }

    /// Reads what `stream` has now.
    func read(_ stream: Stream) {
        state.withLock { state in Self.read(stream.rawValue, into: &state) }
    }

    /// From now on, lines also go to `hub`'s followers, as `invocation`'s, until `take()`.
    func follow(invocation: String, function: String, hub: LogHub) {
        state.withLock { $0.log.follow(invocation: invocation, function: function, hub: hub) }
    }

    /// Reads what both pipes have now and hands over everything kept since the last call.
    func take() -> Data {
        state.withLock { state in
            Self.read(Stream.stdout.rawValue, into: &state)
            Self.read(Stream.stderr.rawValue, into: &state)
            let taken = state.log
            state.log = LogCapture(capacity: capacity)
            return taken.finish()
        }
    }

    /// Closes both pipes (once the process has exited and they are drained).
    func close() {
        state.withLock { state in
            for index in state.fds.indices where state.fds[index] >= 0 {
                Sys.close(state.fds[index])
                state.fds[index] = -1
                state.ended[index] = true
            }
        }
    }

    private static func read(_ index: Int, into state: inout State) {
        for _ in 0 ..< readsPerWakeUp {
            let fd = state.fds[index]
            guard fd >= 0, !state.ended[index] else { return }
            do throws(SystemError) {
                guard let count = try state.log.read(from: fd) else { return }
                guard count > 0 else {
                    state.ended[index] = true
                    return
                }
            } catch {
                state.ended[index] = true
                return
            }
        }
    }
}
