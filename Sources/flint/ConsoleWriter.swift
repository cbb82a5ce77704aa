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
final class ConsoleWriter: Sendable {
    private enum Item {
        case line(String)
        /// Signalled once everything queued before it is written.
        case marker(DispatchSemaphore)
    }

    private struct State {
        var items = Deque<Item>()
        var dropped = 0
    }

    /// Lines kept while stdout is blocked (about 1 MiB of invocation lines).
    static let capacity = 10_000

    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    init() {
        DedicatedThread.start(named: "flint-console") { [self] in drain() }
    }

    /// Queues `line` (without its newline). Never blocks.
    func write(_ line: String) {
        let queued = state.withLock { state -> Bool in
            guard state.items.count < Self.capacity else {
                state.dropped += 1
                return false
            }
            state.items.append(.line(line))
            return true
        }
        if queued { ready.signal() }
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
            let (item, dropped) = state.withLock { state -> (Item?, Int) in
                defer { state.dropped = 0 }
                return (state.items.popFirst(), state.dropped)
            }
            if dropped > 0 {
                StandardOutput.write("flint: \(dropped) console line(s) dropped while stdout was not being read (flint invocations has them all)\n")
            }
            switch item {
            case .line(let line)?: StandardOutput.write(line + "\n")
            case .marker(let written)?: written.signal()
            case nil: break
            }
        }
    }
}
