internal import CFlintSpawn

/// How a process ended, decoded from its wait status.
struct Termination: Equatable, CustomStringConvertible {
    /// The exit status, when it exited.
    var exitCode: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?

    init(exitCode: Int32? = nil, signal: Int32? = nil) {
        self.exitCode = exitCode
        self.signal = signal
    }

    /// Decodes a wait(2) status (WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import).
    init(waitStatus status: CInt) {
        let terminatingSignal = status & 0x7f
        if terminatingSignal == 0 {
            self.init(exitCode: (status >> 8) & 0xff)
        } else {
            self.init(signal: terminatingSignal)
        }
    }

    var isSuccess: Bool { exitCode == 0 }

    /// `exit status 3`, `killed by signal 11 (SIGSEGV)`.
    var description: String {
        if let signal {
            return "killed by signal \(signal) (\(Self.name(ofSignal: signal)))"
        }
        return "exit status \(exitCode ?? -1)"
    }

    static func name(ofSignal signal: Int32) -> String {
        guard let abbreviation = flint_signal_abbreviation(signal) else {
            return "signal \(signal)"
        }
        return "SIG" + String(cString: abbreviation)
    }
}
