public import FlintCore
public import Foundation
internal import Synchronization

/// Writes finished invocations to the ledger off the request path, many per transaction.
///
/// `record` only appends to a buffer and, when the buffer was empty, wakes the writer; the writer
/// commits whatever has gathered since its last commit in one transaction, so under load one
/// commit serves many invocations. The writer is a thread of its own calling SQLite directly:
/// an async write would cost two more thread hand-offs per commit, on every invocation.
/// `flushed()` waits until everything recorded before the call is committed (for readers that
/// must see their own writes). `run` returns once `finish()` was called and the buffer is empty.
public final class LedgerWriter: Sendable {
    private struct State {
        var pending: [InvocationLedger.Entry] = []
        /// Entries handed to `record` so far, and how many of them are committed (or failed).
        var recorded: UInt64 = 0
        var settled: UInt64 = 0
        var waiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var finished = false
    }

    private let ledger: InvocationLedger
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let onError: @Sendable (any Error, Int) -> Void

    /// - Parameter onError: told of a failed commit and how many entries it lost; the writer goes on.
    public init(ledger: InvocationLedger, onError: @escaping @Sendable (any Error, Int) -> Void) {
        self.ledger = ledger
        self.onError = onError
    }

    /// Queues one finished invocation for the next commit. Never blocks.
    public func record(_ record: InvocationRecord, log: Data) {
        let wasIdle = state.withLock { state -> Bool in
            state.pending.append(.init(record: record, log: log))
            state.recorded += 1
            return state.pending.count == 1
        }
        if wasIdle { wakeup.signal() }
    }

    /// Returns once everything recorded before this call is committed (or has failed).
    public func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.settled >= state.recorded { return true }
                state.waiters.append((state.recorded, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Asks `run` to commit what is left and return.
    public func finish() {
        state.withLock { $0.finished = true }
        wakeup.signal()
    }

    /// Commits batches on a thread of its own until `finish()` (or cancellation), then commits the
    /// remainder and returns.
    public func run() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    writeUntilFinished()
                    continuation.resume()
                }
                thread.name = "flint-ledger"
                thread.start()
            }
        } onCancel: {
            finish()
        }
    }

    private func writeUntilFinished() {
        while true {
            wakeup.wait()
            commitPending()
            if state.withLock({ $0.finished && $0.pending.isEmpty }) { return }
        }
    }

    private func commitPending() {
        while true {
            let batch = state.withLock { state -> [InvocationLedger.Entry] in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            do {
                try ledger.appendBlocking(batch)
            } catch {
                onError(error, batch.count)
            }
            let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.settled += UInt64(batch.count)
                let settled = state.settled
                let ready = state.waiters.filter { $0.target <= settled }.map(\.continuation)
                state.waiters.removeAll { $0.target <= settled }
                return ready
            }
            for continuation in ready { continuation.resume() }
        }
    }
}
