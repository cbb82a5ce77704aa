internal import Foundation
internal import UnixSignals
#if canImport(Glibc)
internal import Glibc
#endif

/// Runs a command's work so that an interrupting signal (SIGINT, SIGTERM, SIGHUP: Ctrl-C, kill,
/// a terminal closed) cancels it rather than ending the process on the spot. The work unwinds as
/// on any failure (`flint init`'s writer removes what it wrote; Flint's runner kills the process
/// group of a build step under way and reaps it), then the process dies of the signal, as it
/// would have (a shell shows 130 for Ctrl-C).
///
/// For work whose cleanup is more than a signal handler may do; `InterruptCleanup` serves
/// `flint put`, whose cleanup is one unlink.
enum InterruptCancellation {
    private enum Event<Value: Sendable>: Sendable {
        case finished(Result<Value, any Error>)
        case interrupted(UnixSignal)
        case stoppedWatching
    }

    /// Runs `work` to its end and returns what it returned; if interrupted, cancels it, waits for it
    /// to unwind, writes `notice` on stderr and dies of the signal.
    static func run<Value: Sendable>(
        interruptedNotice notice: String, _ work: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        // Trapped before the work starts: a signal before this ends the process with nothing written.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        let (finished, interruption) = await withTaskGroup(of: Event<Value>.self) { group in
            group.addTask {
                do { return .finished(.success(try await work())) } catch { return .finished(.failure(error)) }
            }
            group.addTask {
                for await signal in signals { return .interrupted(signal) }
                return .stoppedWatching  // cancelled: the work finished
            }
            var finished: Result<Value, any Error>?
            var interruption: UnixSignal?
            while let event = await group.next() {
                switch event {
                case .finished(let result): finished = result
                case .interrupted(let signal): interruption = signal
                case .stoppedWatching: break
                }
                // Either way the other task is done with: the work unwinds, or the watching stops.
                group.cancelAll()
            }
            return (finished, interruption)
        }
        // A signal that came once the work had succeeded (its writes kept) is too late to undo
        // it: the command ends as it would have, rather than claim it took its work back.
        let succeeded = if case .success? = finished { true } else { false }
        if let interruption, !succeeded {
            FileHandle.standardError.write(Data((notice + "\n").utf8))
            die(of: interruption.rawValue)
        }
        guard let finished else { throw CancellationError() }  // both tasks ended, so the work did
        return try finished.get()
    }

    /// Ends the process by `signal`'s default action, as if it had never been caught.
    private static func die(of signal: Int32) -> Never {
        _ = Glibc.signal(signal, SIG_DFL)
        // Dispatch, which watched for it, blocks it in its threads; this may be one of them.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, signal)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        raise(signal)
        exit(128 + signal)  // not reached: the default action of these signals ends the process
    }
}
