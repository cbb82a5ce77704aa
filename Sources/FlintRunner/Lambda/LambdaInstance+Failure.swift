import FlintCore
import Glibc

extension LambdaInstance {
    /// The outcome and message of an invocation whose instance ended under it.
    func failure(_ exit: Exit, wasStarting: Bool, delivered: Bool) -> (InvocationOutcome, String, Termination?) {
        let termination: Termination?
        let oomKills: Int64
        switch exit {
        case .notStarted(let reason): return (.error, "init failed: \(reason)", nil)
        case .exited(let ended, let kills, _, _): (termination, oomKills) = (ended, kills)
        }
        let how = termination?.description ?? "status unknown"
        let timeout = function.timeout.shortDescription
        // The cgroup counts OOM kills over the instance's whole life, and the OOM killer ends
        // with SIGKILL: a runtime that ended otherwise was not killed by it now (a child of an
        // earlier invocation may have been).
        if oomKills > 0, stopReason == nil || stopReason == .timeout, termination.map({ $0.signal == SIGKILL }) ?? true {
            let limit = ByteSizeText.format(function.memoryBytes)
            return (.oom, "out of memory: the instance reached its \(limit) memory limit (\(how))", termination)
        }
        switch stopReason {
        case .timeout:
            return (.timeout, "killed after \(timeout) timeout", termination)
        case .initTimeout:
            return (
                .timeout, "init failed: the runtime did not ask for work within its \(function.initLimit.shortDescription) init limit",
                termination
            )
        case .pickupTimeout:
            return (.timeout, "the runtime did not ask for the invocation within the \(timeout) timeout", termination)
        case .cancelled:
            return (.killed, "killed: invocation cancelled", termination)
        case .initError(let reason, _):
            return (.error, "init failed: \(reason)", termination)
        case .retired:
            return (.killed, "killed: the instance was stopped (Flint is shutting down)", termination)
        case nil where wasStarting:
            return (.error, "init failed: the runtime exited (\(how)) before asking for work; its log (flint logs) says why", termination)
        case nil where delivered:
            return (.error, "the runtime exited (\(how)) while handling the invocation", termination)
        case nil:
            return (.error, "the runtime exited (\(how)) before taking the invocation", termination)
        }
    }
}
