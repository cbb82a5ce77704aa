// The spawn shim: see include/flint_spawn.h for why clone(CLONE_VM | CLONE_VFORK) and not fork().
//
// Everything the child runs before execve shares the parent's memory (and, without CLONE_SETTLS,
// its thread-local storage), so it may only make async-signal-safe calls, must not touch locks or
// the allocator, and reports failures by writing to `struct child_context`, which the parent reads
// once the kernel resumes it (CLONE_VFORK: after the child's execve or exit).
#define _GNU_SOURCE
#include "flint_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// The kernel's sigset is _NSIG bits; glibc's sigset_t is larger, so raw calls pass this size.
#define KERNEL_SIGSET_SIZE (_NSIG / 8)

// The child only makes system calls; 64 KiB is generous and is touched a few pages at most.
#define CHILD_STACK_SIZE (64 * 1024)

// Each thread keeps its child stack for its next spawn: an mmap and munmap per spawn would cost a
// TLB shootdown across the daemon's CPUs each time. Reuse is safe: CLONE_VFORK resumes this thread
// only once the child has left the stack for good (its execve or exit). The key's destructor
// unmaps the stack when the thread ends; without a key, each spawn maps and unmaps its own.
static pthread_key_t stack_key;
static pthread_once_t stack_key_once = PTHREAD_ONCE_INIT;
static int stack_key_made = 0;
static __thread void *thread_stack = NULL;

static void stack_unmap(void *stack) {
    // A spawn from a later destructor of the same thread maps a stack of its own.
    thread_stack = NULL;
    munmap(stack, CHILD_STACK_SIZE);
}

static void stack_key_create(void) { stack_key_made = pthread_key_create(&stack_key, stack_unmap) == 0; }

// The calling thread's child stack, mapped on first use; MAP_FAILED if it cannot be. `*kept` says
// whether the thread keeps it (else the caller unmaps it after the spawn).
static void *child_stack(int *kept) {
    *kept = 0;
    if (thread_stack != NULL) {
        *kept = 1;
        return thread_stack;
    }
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) return MAP_FAILED;
    (void)pthread_once(&stack_key_once, stack_key_create);
    if (stack_key_made && pthread_setspecific(stack_key, stack) == 0) {
        thread_stack = stack;
        *kept = 1;
    }
    return stack;
}

struct child_context {
    const flint_spawn_attr *attr;
    // The write end of the exec pipe (close-on-exec): see flint_spawn.
    int exec_pipe;
    volatile int failed_step;
    volatile int error;
};

// Records the failure for the parent and ends the child. errno is read first: nothing in between
// can change it.
static _Noreturn void child_fail(struct child_context *context, flint_spawn_step step) {
    context->error = errno;
    context->failed_step = (int)step;
    _exit(127);
}

// Sets the soft limit to `value` and the hard one to `value + hard_extra`, neither above the current
// hard limit (only a privileged process may raise it). A value of 0 leaves the limit unchanged.
static int child_limit(int resource, unsigned long long value, unsigned long long hard_extra) {
    if (value == 0) {
        return 0;
    }
    struct rlimit current;
    if (getrlimit(resource, &current) != 0) {
        return -1;
    }
    rlim_t soft = (rlim_t)value;
    rlim_t hard = (rlim_t)(value + hard_extra);
    if (current.rlim_max != RLIM_INFINITY) {
        if (hard > current.rlim_max) hard = current.rlim_max;
        if (soft > hard) soft = hard;
    }
    struct rlimit wanted = {.rlim_cur = soft, .rlim_max = hard};
    return setrlimit(resource, &wanted);
}

static int child_main(void *argument) {
    struct child_context *context = argument;
    const flint_spawn_attr *attr = context->attr;

    // 1. Signals. All are blocked (the parent blocked them before clone). A handler installed by the
    // daemon must never run here, in the daemon's memory, and an ignored signal (SIGPIPE, or one the
    // daemon inherited ignored) must not stay ignored across execve: every disposition goes back to
    // the default. Raw rt_sigaction, because glibc's sigaction refuses its two internal signals. An
    // all-zero kernel sigaction is SIG_DFL, no flags, empty mask, whatever the architecture's layout.
    static const unsigned long default_action[8] = {0};
    for (int signal_number = 1; signal_number < _NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) {
            (void)syscall(SYS_rt_sigaction, signal_number, default_action, NULL, KERNEL_SIGSET_SIZE);
        }
    }

    // 2. Own session and process group, so a timeout can kill the handler and all it started.
    if (setsid() < 0) child_fail(context, FLINT_SPAWN_STEP_SETSID);

    // 3. Limits. RLIMIT_DATA rather than RLIMIT_AS: runtimes (Go, the JVM, V8) reserve far more
    // address space than they use and fail at start-up under RLIMIT_AS. RLIMIT_NPROC before the
    // credentials, so the kernel checks the handler user's process count at setresuid/execve.
    // RLIMIT_NOFILE comes later (step 9): the descriptor shuffle may need numbers above it.
    if (child_limit(RLIMIT_DATA, attr->limit_data_bytes, 0) != 0 ||
        child_limit(RLIMIT_NPROC, attr->limit_processes, 0) != 0 ||
        child_limit(RLIMIT_CPU, attr->limit_cpu_seconds, 1) != 0) {
        child_fail(context, FLINT_SPAWN_STEP_RLIMIT);
    }
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) child_fail(context, FLINT_SPAWN_STEP_RLIMIT);

    // 4. cgroups: writing "0" to a v1 `tasks` moves the writing thread, which is the whole child
    // (to the v2 cgroup.procs, the writing process). Before the credentials: moving needs write
    // access to the file (and, on cgroup v2, to the common ancestor's cgroup.procs), which the
    // daemon has and the handler's user does not.
    for (size_t index = 0; index < attr->cgroup_join_count; index++) {
        if (write(attr->cgroup_join_fds[index], "0", 1) != 1) child_fail(context, FLINT_SPAWN_STEP_CGROUP);
    }

    // 4b. OOM score: a daemon that protects itself from the OOM killer (-1000) gives its handlers
    // back the score it started with. A vfork child's score is its own (the kernel does not copy it
    // to the other processes sharing its memory), so the daemon keeps -1000.
    if (attr->oom_score_adj != NULL) {
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0) child_fail(context, FLINT_SPAWN_STEP_OOM_SCORE);
        size_t length = strlen(attr->oom_score_adj);
        if (write(fd, attr->oom_score_adj, length) != (ssize_t)length) child_fail(context, FLINT_SPAWN_STEP_OOM_SCORE);
        close(fd);
    }

    // 5. Credentials, as raw system calls: glibc's setuid()/setgid() would broadcast the change to
    // every thread of the daemon (whose memory, and thread list, this child shares).
    if (attr->set_credentials) {
        if (syscall(SYS_setgroups, attr->group_count, attr->groups) != 0) {
            child_fail(context, FLINT_SPAWN_STEP_SETGROUPS);
        }
        if (syscall(SYS_setresgid, attr->gid, attr->gid, attr->gid) != 0) {
            child_fail(context, FLINT_SPAWN_STEP_SETGID);
        }
        if (syscall(SYS_setresuid, attr->uid, attr->uid, attr->uid) != 0) {
            child_fail(context, FLINT_SPAWN_STEP_SETUID);
        }
    }

    // 6. Working directory.
    if (chdir(attr->cwd) != 0) child_fail(context, FLINT_SPAWN_STEP_CHDIR);

    // 7. stdio. A pipe end numbered 0-2 (the daemon closed its own stdio) is first moved above 2 so
    // no dup2 below overwrites a source (nor the exec pipe); dup2 clears close-on-exec on its target.
    int exec_pipe = context->exec_pipe;
    if (exec_pipe < 3) {
        exec_pipe = fcntl(exec_pipe, F_DUPFD_CLOEXEC, 3);
        if (exec_pipe < 0) child_fail(context, FLINT_SPAWN_STEP_STDIO);
    }
    // The passed descriptor goes above the numbers the shuffle below writes to (0-4).
    int passed = attr->passed_fd;
    if (passed >= 0 && passed <= FLINT_SPAWN_PASSED_FD) {
        passed = fcntl(passed, F_DUPFD_CLOEXEC, FLINT_SPAWN_PASSED_FD + 1);
        if (passed < 0) child_fail(context, FLINT_SPAWN_STEP_STDIO);
    }
    int sources[3] = {attr->stdin_fd, attr->stdout_fd, attr->stderr_fd};
    for (int index = 0; index < 3; index++) {
        if (sources[index] < 3) {
            sources[index] = fcntl(sources[index], F_DUPFD_CLOEXEC, 3);
            if (sources[index] < 0) child_fail(context, FLINT_SPAWN_STEP_STDIO);
        }
    }
    for (int index = 0; index < 3; index++) {
        if (dup2(sources[index], index) < 0) child_fail(context, FLINT_SPAWN_STEP_STDIO);
    }

    // 8. Every other descriptor: not all of the daemon's are close-on-exec (libraries open some).
    // The exec pipe stays, as 3, until execve closes it; the passed descriptor, as 4, past it.
    if (exec_pipe != 3 && dup3(exec_pipe, 3, O_CLOEXEC) < 0) {
        child_fail(context, FLINT_SPAWN_STEP_CLOSE_FDS);
    }
    int first_closed = 4;
    if (passed >= 0) {
        if (dup2(passed, FLINT_SPAWN_PASSED_FD) < 0) child_fail(context, FLINT_SPAWN_STEP_CLOSE_FDS);
        first_closed = FLINT_SPAWN_PASSED_FD + 1;
    }
    if (syscall(SYS_close_range, (unsigned int)first_closed, ~0U, 0U) != 0) {
        if (errno != ENOSYS) child_fail(context, FLINT_SPAWN_STEP_CLOSE_FDS);
        for (int fd = first_closed; fd < attr->fd_limit; fd++) {
            (void)close(fd);
        }
    }

    // 9. The open-files limit, now that only 0-3 (and the passed 4) are open: set before the
    // shuffle, it would make F_DUPFD_CLOEXEC fail (EMFILE, or EINVAL below its minimum of 3 or 5)
    // while the daemon's descriptors up to it are in use. Lowering a limit needs no privilege, so the handler's credentials allow it.
    if (child_limit(RLIMIT_NOFILE, attr->limit_open_files, 0) != 0) child_fail(context, FLINT_SPAWN_STEP_RLIMIT);

    // 10. Unblock everything and run the handler.
    sigset_t none;
    sigemptyset(&none);
    (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, KERNEL_SIGSET_SIZE);
    execve(attr->path, attr->argv, attr->envp);
    child_fail(context, FLINT_SPAWN_STEP_EXECVE);
}

int flint_spawn(const flint_spawn_attr *attr, flint_spawn_result *result) {
    result->pid = -1;
    result->pidfd = -1;
    result->failed_step = FLINT_SPAWN_STEP_NONE;
    result->error = 0;

    // The exec pipe: once this thread has closed its write end, only the child holds one, and
    // close-on-exec (a concurrent spawn's child may hold a copy until its close_range, which only
    // delays the end-of-file). With CLONE_VFORK the kernel resumes this thread when the child's
    // execve releases the daemon's memory, a little before it installs the new program's; it closes
    // close-on-exec descriptors after that. So end-of-file means the new program image is in place
    // (or the child has exited), and /proc/<pid> then describes the handler, never the daemon.
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
        result->failed_step = FLINT_SPAWN_STEP_EXEC_PIPE;
        result->error = errno;
        return -1;
    }

    int stack_kept;
    void *stack = child_stack(&stack_kept);
    if (stack == MAP_FAILED) {
        result->failed_step = FLINT_SPAWN_STEP_STACK;
        result->error = errno;
        close(exec_pipe[0]);
        close(exec_pipe[1]);
        return -1;
    }

    // Block every signal, glibc's internal ones included (hence the raw call), so that none is
    // handled in the child before it has reset the dispositions.
    sigset_t all, previous;
    sigfillset(&all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &previous, KERNEL_SIGSET_SIZE);

    struct child_context context = {.attr = attr, .exec_pipe = exec_pipe[1], .failed_step = 0, .error = 0};
    int pidfd = -1;
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE,
                      CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &context, &pidfd);
    int clone_error = errno;

    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous, NULL, KERNEL_SIGSET_SIZE);
    if (!stack_kept) munmap(stack, CHILD_STACK_SIZE);

    close(exec_pipe[1]);
    if (pid >= 0) {
        char byte;
        while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
        }
    }
    close(exec_pipe[0]);

    if (pid < 0) {
        result->failed_step = FLINT_SPAWN_STEP_CLONE;
        result->error = clone_error;
        return -1;
    }
    if (context.failed_step != FLINT_SPAWN_STEP_NONE) {
        // The child has exited with 127: reap it so no zombie is left.
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        if (pidfd >= 0) close(pidfd);
        result->failed_step = (flint_spawn_step)context.failed_step;
        result->error = context.error;
        return -1;
    }
    result->pid = pid;
    result->pidfd = pidfd;
    return 0;
}

int flint_pipe(int fds[2], int nonblocking_end) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return -1;
    }
    if (fcntl(fds[nonblocking_end ? 1 : 0], F_SETFL, O_NONBLOCK) != 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        // Closed here: the caller must not close these numbers again (another thread may have
        // been given them since).
        fds[0] = -1;
        fds[1] = -1;
        errno = saved;
        return -1;
    }
    return 0;
}

int flint_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

const char *flint_errno_description(int error) {
    const char *description = strerrordesc_np(error);
    return description != NULL ? description : "Unknown error";
}

const char *flint_signal_abbreviation(int signal_number) { return sigabbrev_np(signal_number); }
