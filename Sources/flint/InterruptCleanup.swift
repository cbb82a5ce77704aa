internal import Glibc

/// Removes a temporary file when the command is interrupted (SIGINT, SIGTERM, SIGHUP) while the
/// file exists, then dies of the signal as it would have: a `flint put` stopped with Ctrl-C
/// midway leaves no hidden copy of half the input in the bucket.
///
/// One file at a time, for the command's single thread. The handler only calls `unlinkat`,
/// `signal` and `raise`, which are async-signal-safe, on state set before it is installed and
/// cleared after it is removed.
enum InterruptCleanup {
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// The directory and name of the file to remove; set only while the handlers are installed.
    nonisolated(unsafe) private static var directory: Int32 = -1
    nonisolated(unsafe) private static var name: UnsafeMutablePointer<CChar>?

    /// From now until `release()`, an interrupting signal removes `name` in `directory` first.
    static func protect(_ name: String, in directory: Int32) {
        self.directory = directory
        self.name = strdup(name)
        for signal in signals { _ = Glibc.signal(signal, handle) }
    }

    /// The file is renamed or removed: interrupting signals act as before again.
    static func release() {
        for signal in signals { _ = Glibc.signal(signal, SIG_DFL) }
        free(name)
        name = nil
        directory = -1
    }

    private static let handle: @convention(c) (Int32) -> Void = { signal in
        if let name = InterruptCleanup.name { _ = unlinkat(InterruptCleanup.directory, name, 0) }
        _ = Glibc.signal(signal, SIG_DFL)
        _ = raise(signal)
    }
}
