internal import CFlintSpawn
import Glibc

/// What to start, with which limits.
struct SpawnOptions {
    var command: HandlerCommand
    /// `NAME=value` entries: the whole environment.
    var environment: [String]
    var workingDirectory: String
    /// RLIMIT_DATA; 0 leaves the inherited limit.
    var memoryBytes: Int
    var openFiles: Int
    var processes: Int
    /// RLIMIT_CPU soft limit, in seconds.
    var cpuSeconds: Int
    /// The daemon's RLIMIT_NOFILE, for the close loop when close_range(2) is missing.
    var descriptorLimit: Int
    /// Open join files (`CgroupVersion.joinFile`) of the cgroups to join before execve (`InstanceIsolation`).
    var cgroupJoinFDs: [CInt] = []
    /// Credentials to switch to; nil keeps the daemon's (`InstanceIsolation`).
    var credentials: Credentials?
    /// The handler's `oom_score_adj` (decimal); nil inherits the daemon's (`OOMProtection`).
    var oomScoreAdjust: String?
    /// A descriptor the process keeps open as `passedFDNumber` (the object bubblewrap binds);
    /// the caller keeps its own copy and closes it.
    var passedFD: CInt?

    /// What `passedFD` is numbered in the process.
    static let passedFDNumber = CInt(FLINT_SPAWN_PASSED_FD)

    struct Credentials {
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]
    }
}

/// A started handler: its pid, a pidfd, and the daemon's ends of its stdio pipes (non-blocking,
/// close-on-exec). Owned by `ProcessSupervisor`, which closes them.
struct SpawnedProcess {
    var pid: pid_t
    var pidfd: CInt
    var stdin: CInt
    var stdout: CInt
    var stderr: CInt
}

/// Why a handler could not be started.
enum SpawnError: Error, Equatable, CustomStringConvertible {
    /// Creating the pipes failed (descriptors exhausted, most likely).
    case pipes(SystemError)
    /// A step of the launch failed, in the daemon (`stack`, `clone`) or in the child before execve.
    case launch(executable: String, step: String, errno: CInt)

    var description: String {
        switch self {
        case .pipes(let error):
            return "cannot create pipes: \(error)"
        case .launch(let executable, let step, let errno):
            let reason = SystemError.describe(errno: errno)
            if step == "execve" {
                return "cannot execute \(executable): \(reason)"
            }
            return "cannot start \(executable): \(step): \(reason)"
        }
    }
}

/// Starts handler processes through the CFlintSpawn shim.
enum ProcessSpawner {
    /// Retries of an execve failing with ETXTBSY wait 0.1, 0.2, ... 6.4 ms (12.7 ms in all).
    static let textBusyFirstDelay = 100_000
    static let textBusyLastDelay = 6_400_000

    static func spawn(_ options: SpawnOptions) throws(SpawnError) -> SpawnedProcess {
        // index 0 is the read end, 1 the write end; the daemon's end is the non-blocking one.
        var stdinPipe: (CInt, CInt) = (-1, -1)
        var stdoutPipe: (CInt, CInt) = (-1, -1)
        var stderrPipe: (CInt, CInt) = (-1, -1)
        do throws(SystemError) {
            try makePipe(&stdinPipe, daemonEnd: 1)
            try makePipe(&stdoutPipe, daemonEnd: 0)
            try makePipe(&stderrPipe, daemonEnd: 0)
        } catch {
            for fd in [stdinPipe.0, stdinPipe.1, stdoutPipe.0, stdoutPipe.1] where fd >= 0 {
                Sys.close(fd)
            }
            throw .pipes(error)
        }
        // The child's ends are not needed here once it has them (or has failed).
        defer {
            Sys.close(stdinPipe.0)
            Sys.close(stdoutPipe.1)
            Sys.close(stderrPipe.1)
        }

        var result = flint_spawn_result()
        var status = launch(options, stdin: stdinPipe.0, stdout: stdoutPipe.1, stderr: stderrPipe.1, result: &result)
        // A file this process has just written (and closed) can still be open for writing in the child
        // of a concurrent spawn, between its clone and its close_range: execve of that file then fails
        // with ETXTBSY for a few microseconds. Retry briefly; the failed child left the pipes untouched.
        var retryDelay = Self.textBusyFirstDelay
        while status != 0, result.failed_step == FLINT_SPAWN_STEP_EXECVE, result.error == ETXTBSY,
            retryDelay <= Self.textBusyLastDelay
        {
            Sys.sleep(nanoseconds: retryDelay)
            retryDelay *= 2
            status = launch(options, stdin: stdinPipe.0, stdout: stdoutPipe.1, stderr: stderrPipe.1, result: &result)
        }
        guard status == 0 else {
            Sys.close(stdinPipe.1)
            Sys.close(stdoutPipe.0)
            Sys.close(stderrPipe.0)
            throw .launch(
                executable: options.command.executable, step: Self.name(of: result.failed_step), errno: result.error
            )
        }
        return SpawnedProcess(
            pid: result.pid, pidfd: result.pidfd, stdin: stdinPipe.1, stdout: stdoutPipe.0, stderr: stderrPipe.0
        )
    }

    private static func makePipe(_ fds: inout (CInt, CInt), daemonEnd: CInt) throws(SystemError) {
        _ = try systemCall("pipe2") {
            withUnsafeMutablePointer(to: &fds) { pair in
                pair.withMemoryRebound(to: CInt.self, capacity: 2) { flint_pipe($0, daemonEnd) }
            }
        }
    }

    private static func launch(
        _ options: SpawnOptions, stdin: CInt, stdout: CInt, stderr: CInt, result: inout flint_spawn_result
    ) -> CInt {
        let arguments = CStringArray(options.command.arguments)
        let environment = CStringArray(options.environment)
        let groups = options.credentials?.groups ?? []
        return options.command.executable.withCString { path in
            options.workingDirectory.withCString { cwd in
                groups.withUnsafeBufferPointer { groupList in
                    options.cgroupJoinFDs.withUnsafeBufferPointer { cgroupFDs in
                        var attr = flint_spawn_attr()
                        attr.path = path
                        attr.argv = UnsafePointer(arguments.pointers)
                        attr.envp = UnsafePointer(environment.pointers)
                        attr.cwd = cwd
                        attr.stdin_fd = stdin
                        attr.stdout_fd = stdout
                        attr.stderr_fd = stderr
                        attr.limit_data_bytes = UInt64(clamping: options.memoryBytes)
                        attr.limit_open_files = UInt64(clamping: options.openFiles)
                        attr.limit_processes = UInt64(clamping: options.processes)
                        attr.limit_cpu_seconds = UInt64(clamping: options.cpuSeconds)
                        attr.cgroup_join_fds = cgroupFDs.baseAddress
                        attr.cgroup_join_count = cgroupFDs.count
                        if let credentials = options.credentials {
                            attr.set_credentials = 1
                            attr.uid = credentials.uid
                            attr.gid = credentials.gid
                            attr.groups = groupList.baseAddress
                            attr.group_count = groupList.count
                        }
                        attr.fd_limit = CInt(clamping: options.descriptorLimit)
                        attr.passed_fd = options.passedFD ?? -1
                        guard let score = options.oomScoreAdjust else { return flint_spawn(&attr, &result) }
                        return score.withCString { text in
                            attr.oom_score_adj = text
                            return flint_spawn(&attr, &result)
                        }
                    }
                }
            }
        }
    }

    static func name(of step: flint_spawn_step) -> String {
        switch step {
        case FLINT_SPAWN_STEP_STACK: "mmap"
        case FLINT_SPAWN_STEP_CLONE: "clone"
        case FLINT_SPAWN_STEP_SETSID: "setsid"
        case FLINT_SPAWN_STEP_RLIMIT: "setrlimit"
        case FLINT_SPAWN_STEP_SETGROUPS: "setgroups"
        case FLINT_SPAWN_STEP_SETGID: "setgid"
        case FLINT_SPAWN_STEP_SETUID: "setuid"
        case FLINT_SPAWN_STEP_CGROUP: "cgroup"
        case FLINT_SPAWN_STEP_CHDIR: "chdir"
        case FLINT_SPAWN_STEP_STDIO: "dup2"
        case FLINT_SPAWN_STEP_CLOSE_FDS: "close_range"
        case FLINT_SPAWN_STEP_EXECVE: "execve"
        case FLINT_SPAWN_STEP_EXEC_PIPE: "pipe2"
        case FLINT_SPAWN_STEP_OOM_SCORE: "oom_score_adj"
        default: "spawn"
        }
    }
}
