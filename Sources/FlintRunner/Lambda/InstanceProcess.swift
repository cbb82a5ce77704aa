import Glibc
import Synchronization

/// A warm instance's process, from spawn to reaping, watched on a supervisor thread of its own
/// (never on Swift's cooperative pool): its stdout and stderr go to an `InstanceOutput`, and its
/// pidfd tells when it has exited.
///
/// Signals go to the whole process group (the process leads its own session), and never after
/// the process has been reaped, when its pid could belong to someone else.
final class InstanceProcess: Sendable {
    private struct State {
        /// 0 until spawned.
        var pid: pid_t = 0
        var reaped = false
        /// A kill asked for before the spawn finished, delivered as soon as it has.
        var killRequested = false
    }

    private let state = Mutex(State())

    init() {}

    /// The process's id, once spawned and until reaped.
    var pid: pid_t? {
        state.withLock { $0.pid > 0 && !$0.reaped ? $0.pid : nil }
    }

    /// Sends `signal` to the process group. A SIGKILL asked for before the spawn has finished is
    /// delivered once it has; anything after the process was reaped is dropped.
    func signalGroup(_ signal: CInt) {
        state.withLock { state in
            if state.pid > 0 {
                if !state.reaped { Sys.kill(-state.pid, signal) }
            } else if signal == SIGKILL {
                state.killRequested = true
            }
        }
    }

    /// Spawns the process; its output goes to `output` from now on. A kill asked for before is
    /// delivered at once.
    func start(_ options: SpawnOptions, output: InstanceOutput) -> Result<SpawnedProcess, SpawnError> {
        let process: SpawnedProcess
        do throws(SpawnError) {
            process = try ProcessSpawner.spawn(options)
        } catch {
            return .failure(error)
        }
        // The runtime reads no stdin: it sees end of file at once.
        Sys.close(process.stdin)
        output.attach(stdout: process.stdout, stderr: process.stderr)
        let killNow = state.withLock { state -> Bool in
            state.pid = process.pid
            return state.killRequested
        }
        if killNow { Sys.kill(-process.pid, SIGKILL) }
        return .success(process)
    }

    /// Watches the started process until it exits, blocking the calling (supervisor) thread, and
    /// reaps it. Returns how it ended and the CPU it (and the children it waited for) used.
    func supervise(_ process: SpawnedProcess, output: InstanceOutput) -> (Termination?, InstanceCPU.Times) {
        watch(process, output: output)

        // Leftover children die with it; the leader is a zombie until reaped, so its pid (the
        // group's id) cannot have been reused.
        Sys.kill(-process.pid, SIGKILL)
        var usage = rusage()
        let waitStatus = state.withLock { state -> CInt? in
            defer { state.reaped = true }
            var status: CInt = 0
            do throws(SystemError) {
                try Sys.wait4(process.pid, status: &status, usage: &usage)
                return status
            } catch {
                return nil
            }
        }
        let used = ResourceUsage(usage, peakRSSBytes: 0)
        Sys.close(process.pidfd)
        // What it wrote just before exiting is still in the pipes.
        output.read(.stdout)
        output.read(.stderr)
        output.close()
        let cpu = InstanceCPU.Times(userMicros: used.userCPUMicros, systemMicros: used.systemCPUMicros)
        return (waitStatus.map(Termination.init(waitStatus:)), cpu)
    }

    /// Polls the pipes and the pidfd until the process has exited.
    private func watch(_ process: SpawnedProcess, output: InstanceOutput) {
        var fds = [pollfd](repeating: pollfd(fd: -1, events: Int16(POLLIN), revents: 0), count: 3)
        fds[2].fd = process.pidfd
        while true {
            fds[0].fd = output.descriptor(.stdout)
            fds[1].fd = output.descriptor(.stderr)
            do throws(SystemError) {
                let ready = try fds.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
                    guard let base = buffer.baseAddress else { return 0 }
                    return try Sys.poll(base, count: buffer.count, timeoutMillis: -1)
                }
                guard ready > 0 else { continue }
            } catch {
                // Nothing left to watch it with: end it, so that it is not left running unseen.
                Sys.kill(-process.pid, SIGKILL)
                return
            }
            if fds[0].revents != 0 { output.read(.stdout) }
            if fds[1].revents != 0 { output.read(.stderr) }
            if fds[2].revents != 0 { return }
        }
    }
}
