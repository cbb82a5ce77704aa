import Foundation
import Synchronization

/// One invocation's log as it is read: the last bytes, kept for its record (`LogTail`), and once
/// `follow` is called its lines for a `LogHub`'s live followers (`LogLineSplitter`).
///
/// Both sit under one lock, which the hub takes when someone starts to follow this invocation
/// while it runs: the newcomer gets the lines read so far from the tail, then every later line
/// from the splitter, and no read can slip between the two, so each line reaches it once.
final class LogCapture: Sendable {
    private struct State: ~Copyable {
        var tail: LogTail
        /// Set by `follow`, for the invocation it names.
        var lines: LogLineSplitter?
        /// When following began (the invocation's start; set by `follow`): the time of the lines
        /// a newcomer catches up on, which Flint keeps no time for, as for a stored log.
        var followedSince = Date.distantPast
        /// The whole log once it has ended, for a newcomer who comes before the hub hears of the end.
        var ended: Data?
    }

    private let state: Mutex<State>

    /// - Parameter capacity: how many of the last bytes are kept; positive.
    init(capacity: Int) {
        state = Mutex(State(tail: LogTail(capacity: capacity)))
    }

    /// Reads once from `fd` into the tail, handing the bytes on to followers. Returns the byte
    /// count (0 at end of file), or nil when there is nothing to read now.
    func read(from fd: CInt) throws(SystemError) -> Int? {
        try state.withLock { state throws(SystemError) in
            let space = state.tail.writableSpace()
            guard let count = try Sys.read(fd, into: space) else { return nil }
            state.lines?.append(UnsafeRawBufferPointer(rebasing: space[..<count]))
            state.tail.didWrite(count)
            return count
        }
    }

    /// From now on, lines also go to `hub`'s followers as `invocation`'s, and someone who starts
    /// to follow `invocation` gets what was read before. Bytes read already (a warm instance's,
    /// between invocations) count as this invocation's: followers of it waiting for it get them.
    /// Again for the same invocation (a retried delivery to a warm instance), nothing changes:
    /// its followers have its lines already.
    func follow(invocation: String, function: String, hub: LogHub) {
        state.withLock { state in
            guard state.lines?.invocation != invocation else { return }
            let log = state.tail.copyBytes()
            var lines = LogLineSplitter(
                hub: hub, function: function, invocation: invocation,
                startsMidLine: log.last.map { $0 != UInt8(ascii: "\n") } ?? false
            )
            let now = Date()
            let backlog = lines.catchUp(on: log[...], stampedAt: now)
            state.lines = lines
            state.followedSince = now
            hub.attach(self, invocation: invocation, function: function, backlog: backlog)
        }
    }

    /// For the hub, when someone starts to follow this invocation: calls `subscribe` with the
    /// lines it would otherwise miss, while no bytes can be read. Nothing if `follow` was not called.
    func join<Subscription>(_ subscribe: ([HandlerLogLine]) -> Subscription) -> Subscription {
        state.withLock { state in
            guard var lines = state.lines else { return subscribe([]) }
            let backlog: [HandlerLogLine]
            if let ended = state.ended {
                backlog = lines.lines(LogLinePieces.lines(of: [UInt8](ended)[...]), at: state.followedSince)
            } else {
                backlog = lines.catchUp(on: state.tail.copyBytes()[...], stampedAt: state.followedSince)
                state.lines = lines
            }
            return subscribe(backlog)
        }
    }

    /// Ends the log: hands on an unfinished last line, and returns the bytes kept. Call it once,
    /// after the last read.
    func finish() -> Data {
        state.withLock { state in
            state.lines?.finish()
            var taken = LogTail(capacity: state.tail.capacity)
            swap(&taken, &state.tail)
            let log = taken.takeData()
            if state.lines != nil { state.ended = log }
            return log
        }
    }
}
