import Foundation
import Glibc

/// A child process this test process spawns itself, with `posix_spawn`, so that nothing reaps it
/// but `reap()`: once it has exited it stays a zombie, as a killed daemon does until its parent
/// (a supervisor, a container's init) gets to it.
final class UnreapedChild {
    let pid: pid_t
    private var reaped = false

    init(_ arguments: [String]) throws {
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        self.pid = pid
    }

    deinit { reap() }

    /// Ends it with SIGKILL and waits, up to 10 s, until it is a zombie: exited, not reaped.
    /// Whether it became one.
    func killLeavingAZombie() -> Bool {
        kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.isZombie(pid) { return true }
            usleep(1_000)
        }
        return false
    }

    /// Whether `pid`'s leader thread has exited and waits to be reaped (state Z in its stat).
    static func isZombie(_ pid: pid_t) -> Bool {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true
    }

    /// Kills it if it still runs, and reaps it.
    func reap() {
        guard !reaped else { return }
        reaped = true
        kill(pid, SIGKILL)
        var status: CInt = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
