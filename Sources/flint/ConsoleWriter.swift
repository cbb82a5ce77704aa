internal import Foundation
internal import FlintCore
internal import DequeModule
internal import Synchronization

/// The `flint up` console: one line per invocation, written to stdout by a thread of its own.
///
/// Invocations must never wait for whoever reads stdout: a terminal paused with Ctrl-S, or a pipe
/// nobody drains, would otherwise stall every invocation once the pipe's buffer is full. Lines
/// wait in a bounded queue; when it is full, new lines are dropped and counted, and a line saying
/// how many were dropped is written once stdout moves again.
///
/// The thread wakes once per burst, not once per line: after the first line it waits
/// `gatherDelay` for more and writes them together. Under load, waking it for every invocation
/// cost the daemon more CPU than writing the lines did.
final class ConsoleWriter: Sendable {
    private enum Item {
        case line(String)
        /// Signalled once everything queued before it is written.
        case marker(DispatchSemaphore)
    }

    private struct State {
        var items = Deque<Item>()
        var dropped = 0
        /// The thread was woken and has not taken the queue yet: later lines need not wake it.
        var wakePending = false
    }

    /// Lines queued while stdout is blocked (about 1 MiB of invocation lines), besides the burst
    /// being written.
    static let capacity = 10_000
    /// How long a line may wait for others to be written with it (microseconds).
    static let gatherDelay: useconds_t = 20_000

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    init() {
        DedicatedThread.start(named: "flint-console") { [self] in drain() }
    }

    /// Queues `line` (without its newline). Never blocks.
    func write(_ line: String) {
        let wake = state.withLock { state -> Bool in
            guard state.items.count < Self.capacity else {
                state.dropped += 1
                return false
            }
            state.items.append(.line(line))
            defer { state.wakePending = true }
            return !state.wakePending
        }
        if wake { ready.signal() }
    }

    /// Waits (at most `seconds`) until every line queued so far is written: before exiting.
    func flush(within seconds: Double) {
        let written = DispatchSemaphore(value: 0)
        state.withLock { $0.items.append(.marker(written)) }
        ready.signal()
        _ = written.wait(timeout: .now() + seconds)
    }

    private func drain() {
        while true {
            ready.wait()
            usleep(Self.gatherDelay)
            let (items, dropped) = state.withLock { state -> (Deque<Item>, Int) in
                defer {
                    state.items.removeAll(keepingCapacity: true)
                    state.dropped = 0
                    state.wakePending = false
                }
                return (state.items, state.dropped)
            }
            var text = ""
            if dropped > 0 {
                text += "flint: \(dropped) console line(s) dropped while stdout was not being read (flint invocations has them all)\n"
            }
            for item in items {
                switch item {
                case .line(let line):
                    text += line
                    text += "\n"
                case .marker(let written):
                    StandardOutput.write(text)
                    text = ""
                    written.signal()
                }
            }
            if !text.isEmpty { StandardOutput.write(text) }
        }
    }
}
