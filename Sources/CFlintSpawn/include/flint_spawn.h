// CFlintSpawn: launches one handler process with clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD).
//
// Why not fork(): fork copies the parent's page tables, so its cost grows with the daemon's resident
// memory (~1,500 spawns/s drops to ~70/s at 256 MiB resident). A CLONE_VM child shares the parent's
// memory while the calling thread is suspended until the child calls execve or exits, like
// posix_spawn, but lets us also place the child in its own session, set rlimits, drop privileges
// and join a cgroup, none of which posix_spawn offers together.
#ifndef FLINT_SPAWN_H
#define FLINT_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The step of the child's set-up that failed (`flint_spawn_result.failed_step`).
typedef enum flint_spawn_step {
    FLINT_SPAWN_STEP_NONE = 0,
    FLINT_SPAWN_STEP_STACK,       // mmap of the child's stack (parent side)
    FLINT_SPAWN_STEP_CLONE,       // clone() itself (parent side)
    FLINT_SPAWN_STEP_SETSID,
    FLINT_SPAWN_STEP_RLIMIT,
    FLINT_SPAWN_STEP_SETGROUPS,
    FLINT_SPAWN_STEP_SETGID,
    FLINT_SPAWN_STEP_SETUID,
    FLINT_SPAWN_STEP_CGROUP,
    FLINT_SPAWN_STEP_CHDIR,
    FLINT_SPAWN_STEP_STDIO,
    FLINT_SPAWN_STEP_CLOSE_FDS,
    FLINT_SPAWN_STEP_EXECVE,
    FLINT_SPAWN_STEP_EXEC_PIPE,   // pipe2 of the exec pipe (parent side)
    FLINT_SPAWN_STEP_OOM_SCORE,   // writing /proc/self/oom_score_adj
} flint_spawn_step;

/// What to launch and how. Limits of 0 leave the inherited limit in place; a limit above the current
/// hard limit is lowered to it (an unprivileged daemon cannot raise hard limits).
typedef struct flint_spawn_attr {
    /// Absolute path of the executable (already resolved; no PATH search happens here).
    const char *path;
    /// NULL-terminated argument and environment vectors, passed to execve as they are.
    char *const *argv;
    char *const *envp;
    /// The child's working directory.
    const char *cwd;
    /// The child's ends of its stdin, stdout and stderr pipes; dup2'd onto 0, 1 and 2.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_NPROC (soft = hard).
    unsigned long long limit_data_bytes;
    unsigned long long limit_open_files;
    unsigned long long limit_processes;
    /// RLIMIT_CPU in seconds: the soft limit (SIGXCPU); the hard limit (SIGKILL) is one second more.
    unsigned long long limit_cpu_seconds;
    /// Open files of the cgroups to join before execve, written "0" (one `tasks` per cgroup v1
    /// hierarchy, or the cgroup v2 `cgroup.procs`); `cgroup_join_count` may be 0.
    const int *cgroup_join_fds;
    size_t cgroup_join_count;
    /// The child's `oom_score_adj`, as the decimal text to write to /proc/self/oom_score_adj
    /// before the credentials change; NULL keeps the daemon's (inherited).
    const char *oom_score_adj;
    /// Credentials to switch to before execve: set_credentials == 0 keeps the daemon's.
    int set_credentials;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t group_count;
    /// Highest descriptor number + 1 to close when close_range(2) is unavailable (the daemon's
    /// RLIMIT_NOFILE soft limit).
    int fd_limit;
    /// A descriptor the child keeps, as FLINT_SPAWN_PASSED_FD (bubblewrap's `--ro-bind-fd`); -1
    /// for none. Zero-initialised attrs must set it: 0 is a descriptor.
    int passed_fd;
} flint_spawn_attr;

/// The number `flint_spawn_attr.passed_fd` has in the child: after stdio (0-2) and the exec pipe (3).
#define FLINT_SPAWN_PASSED_FD 4

/// The outcome of `flint_spawn`.
typedef struct flint_spawn_result {
    pid_t pid;
    /// A pidfd for the child (O_CLOEXEC); readable once the child has exited.
    int pidfd;
    flint_spawn_step failed_step;
    int error;
} flint_spawn_result;

/// Launches a process. Returns 0 with `pid` and `pidfd` set once the child's execve has put the new
/// program image in place: from then on /proc/<pid> shows the handler's memory, not the daemon's
/// (which a CLONE_VM child briefly shares). Returns -1 with `failed_step` and `error` (an errno
/// value) when any step failed, in which case the child, if one was created, has already been
/// reaped and no descriptor is left open. The calling thread blocks until then.
int flint_spawn(const flint_spawn_attr *attr, flint_spawn_result *result);

/// Creates a pipe whose two ends are close-on-exec; the parent's end (`nonblocking_end`: 0 for the
/// read end, 1 for the write end) is also non-blocking. Returns 0, or -1 with errno set and both
/// `fds` -1 (nothing is left open).
int flint_pipe(int fds[2], int nonblocking_end);

/// An eventfd (non-blocking, close-on-exec) with counter 0, or -1 with errno set.
int flint_eventfd(void);

/// A thread-safe description of an errno value ("No such file or directory"), never NULL.
const char *flint_errno_description(int error);

/// The abbreviation of a signal without its "SIG" prefix ("SEGV"), or NULL when unknown.
const char *flint_signal_abbreviation(int signal);

#ifdef __cplusplus
}
#endif

#endif
