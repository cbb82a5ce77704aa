public import FlintCore
public import Foundation
internal import Synchronization

/// Writes finished invocations to the ledger off the request path, many per transaction.
///
/// `record` only appends to a buffer and wakes the writer; `run` commits whatever has gathered
/// since the last commit in one transaction, so under load one fsync serves many invocations.
/// `flushed()` waits until everything recorded before the call is committed (for readers that
/// must see their own writes). `run` returns once `finish()` was called and the buffer is empty.
public final class LedgerWriter: Sendable {
    private struct State {
        var pending: [InvocationLedger.Entry] = []
        /// Entries handed to `record` so far, and how many of them are committed (or failed).
        var recorded: UInt64 = 0
        var settled: UInt64 = 0
        var waiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let ledger: InvocationLedger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let onError: @Sendable (any Error, Int) -> Void

    /// - Parameter onError: told of a failed commit and how many entries it lost; the writer goes on.
    public init(ledger: InvocationLedger, onError: @escaping @Sendable (any Error, Int) -> Void) {
        self.ledger = ledger
        self.onError = onError
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one finished invocation for the next commit. Never blocks.
    public func record(_ record: InvocationRecord, log: Data) {
        state.withLock {
            $0.pending.append(.init(record: record, log: log))
            $0.recorded += 1
        }
        wake.yield()
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
        wake.finish()
    }

    /// Commits batches until `finish()`; then commits the remainder and returns.
    public func run() async {
        for await _ in wakeups {
            await commitPending()
        }
        await commitPending()
    }

    private func commitPending() async {
        while true {
            let batch = state.withLock { state -> [InvocationLedger.Entry] in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            do {
                try await ledger.append(batch)
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
