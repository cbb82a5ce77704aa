/* One handler process per event, as cheaply as C can start it, for the ceiling benchmarks
 * (queue-ceiling.c, bucket-ceiling.c). Three ways:
 *
 *   bare       vfork and execve of the handler (the daemon's environment), the event on stdin,
 *              stdout read to EOF, wait4. (glibc's posix_spawn is slower to the handler's start:
 *              its child resets the disposition of every signal, ~64 system calls.)
 *   isolated   what ../shared/DESIGN.md ("Isolation and security") asks of every handler
 *              process, and nothing more: a fresh working directory owned by the handler user
 *              (on tmpfs, as Flint's are, unless CEILING_WORK_ROOT=disk; made right after the
 *              worker's previous run, removed after its run), its own session, rlimits (memory,
 *              open files, processes, CPU time, no core), the unprivileged user 65534 (raw
 *              set*id system calls: glibc's wrappers would signal every thread of this process
 *              from a vfork child) and a clean environment. Metering's CPU and peak memory come
 *              from wait4's rusage, at no cost.
 *   +cgroup    also an instance cgroup (v1 memory, pids, cpuacct) with memory and process limits
 *              whose peak memory and CPU are read after each run, as Flint does on this
 *              machine (DESIGN.md asks for it where cgroup v2 is delegated). The cgroups are each
 *              worker thread's own, joined once and reused for every run (as Flint keeps its
 *              instances' cgroups on v1), so no run pays for moving a process between cgroups;
 *              the peak is reset before each run. The worker thread is a member too, so the
 *              figures are approximate; the cost is what matters here.
 *
 * A worker calls handler_worker_init once on its own thread, then handler_run per event. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A tuning knob of the ceilings: the environment variable NAME as an integer, else `otherwise`. */
static int env_int(const char *name, int otherwise) {
    const char *value = getenv(name);
    return value && *value ? atoi(value) : otherwise;
}

#define HANDLER_USER 65534
#define TMPFS_WORK_ROOT "/dev/shm/flint-ceiling-work"

struct handler_worker {
    int isolated;
    int index;
    char work_root[512];
    int cgroups;              /* the v1 memory, pids and cpuacct cgroups were joined */
    char memory_dir[512], pids_dir[512], cpuacct_dir[512];
    unsigned long long runs;
    char directory[600];      /* the next run's working directory, made ahead */
    unsigned long long cpu_before;
    unsigned long long peak_bytes, cpu_ns;   /* of the last run, from the cgroup */
    struct rusage usage;      /* of the last run, from wait4: metering's CPU and peak RSS */
};

static char *const handler_environment[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8", "TZ=UTC", NULL};

static void handler_die(const char *what, const char *path) {
    fprintf(stderr, "ceiling: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(1);
}

static void write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) handler_die("write", path);
    close(fd);
}

static unsigned long long read_number(const char *path) {
    char text[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) handler_die("open", path);
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) handler_die("read", path);
    text[n] = 0;
    return strtoull(text, NULL, 10);
}

/* Makes /sys/fs/cgroup/CONTROLLER/flint-ceiling-PID/wINDEX and moves this thread into it. */
static int join_v1(const char *controller, int index, char *dir, size_t size) {
    char parent[400], tid[32], path[600];
    snprintf(parent, sizeof parent, "/sys/fs/cgroup/%s", controller);
    if (access(parent, W_OK) != 0) return 0;
    snprintf(parent, sizeof parent, "/sys/fs/cgroup/%s/flint-ceiling-%d", controller, (int)getpid());
    if (mkdir(parent, 0755) != 0 && errno != EEXIST) return 0;
    snprintf(dir, size, "%s/w%d", parent, index);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return 0;
    snprintf(path, sizeof path, "%s/tasks", dir);
    snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
    write_text(path, tid);
    return 1;
}

/* What the next run needs before its spawn, done right after the previous one (or at start),
 * so that none of it lies between an event and its handler's start: the working directory, and
 * the cgroup's peak reset and CPU read. */
static void prepare_next_run(struct handler_worker *w) {
    char path[700];
    snprintf(w->directory, sizeof w->directory, "%.480s/p%d-w%d-%llu", w->work_root, (int)getpid(), w->index, w->runs++);
    if (mkdir(w->directory, 0700) != 0) handler_die("mkdir", w->directory);
    if (chown(w->directory, HANDLER_USER, HANDLER_USER) != 0) handler_die("chown", w->directory);
    if (w->cgroups) {
        snprintf(path, sizeof path, "%s/memory.max_usage_in_bytes", w->memory_dir);
        write_text(path, "0");
        snprintf(path, sizeof path, "%s/cpuacct.usage", w->cpuacct_dir);
        w->cpu_before = read_number(path);
    }
}

static void handler_worker_init(struct handler_worker *w, int isolated, int cgroups, int index, const char *work_root) {
    memset(w, 0, sizeof *w);
    w->isolated = isolated;
    w->index = index;
    if (!isolated) return;
    /* The working directories live on a tmpfs (/dev/shm) unless CEILING_WORK_ROOT says otherwise
     * ("disk": beside the database, as before): a fresh directory there costs a fraction of one
     * on ext4, where mkdir and rmdir allocate and free a block each. */
    const char *root = getenv("CEILING_WORK_ROOT");
    if (!root || !*root) root = access("/dev/shm", W_OK) == 0 ? TMPFS_WORK_ROOT : "disk";
    snprintf(w->work_root, sizeof w->work_root, "%.500s", strcmp(root, "disk") ? root : work_root);
    if (mkdir(w->work_root, 0711) != 0 && errno != EEXIST) handler_die("mkdir", w->work_root);
    char path[600];
    w->cgroups = cgroups && join_v1("memory", index, w->memory_dir, sizeof w->memory_dir) &&
                 join_v1("pids", index, w->pids_dir, sizeof w->pids_dir) &&
                 join_v1("cpuacct", index, w->cpuacct_dir, sizeof w->cpuacct_dir);
    if (!w->cgroups) return;
    snprintf(path, sizeof path, "%s/memory.limit_in_bytes", w->memory_dir);
    write_text(path, "268435456");
    snprintf(path, sizeof path, "%s/pids.max", w->pids_dir);
    write_text(path, "512");
}

static void remove_directory(const char *path);

/* Moves this thread back to the root cgroups and removes its own (call on the worker's thread). */
static void handler_worker_finish(struct handler_worker *w) {
    if (w->isolated && w->runs > 0) remove_directory(w->directory);
    if (!w->cgroups) return;
    const char *dirs[] = {w->memory_dir, w->pids_dir, w->cpuacct_dir};
    const char *controllers[] = {"memory", "pids", "cpuacct"};
    char path[600], tid[32];
    snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s/tasks", controllers[i]);
        write_text(path, tid);
        rmdir(dirs[i]);
    }
}

/* Once every worker has finished: removes the cgroups' common parents and the tmpfs work root
 * (each left only if another run still uses it). */
static void handler_cleanup(void) {
    const char *controllers[] = {"memory", "pids", "cpuacct"};
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s/flint-ceiling-%d", controllers[i], (int)getpid());
        rmdir(path);
    }
    rmdir(TMPFS_WORK_ROOT);
}

/* The child, between vfork and execve: system calls only. The ceilings install no signal
 * handlers that could run here (bucket-ceiling blocks its stop signals and takes them with
 * sigwait); the mask is cleared for the handler. */
static void child(const struct handler_worker *w, int stdin_fd, int stdout_fd, char **argv) {
    unsigned long long none = 0;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8) != 0) _exit(126);
    if (w->isolated) {
        if (setsid() < 0) _exit(126);
        struct rlimit files = {1024, 1024}, processes = {512, 512}, cpu = {900, 901}, core = {0, 0},
                      data = {268435456, 268435456};
        if (setrlimit(RLIMIT_DATA, &data) || setrlimit(RLIMIT_NOFILE, &files) || setrlimit(RLIMIT_NPROC, &processes) ||
            setrlimit(RLIMIT_CPU, &cpu) || setrlimit(RLIMIT_CORE, &core)) _exit(126);
        if (syscall(SYS_setgroups, 0, NULL) || syscall(SYS_setresgid, HANDLER_USER, HANDLER_USER, HANDLER_USER) ||
            syscall(SYS_setresuid, HANDLER_USER, HANDLER_USER, HANDLER_USER)) _exit(126);
        if (chdir(w->directory) != 0) _exit(126);
    }
    if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0) _exit(126);
    execve(argv[0], argv, w->isolated ? handler_environment : environ);
    _exit(127);
}

/* Removes a working directory and whatever the handler left in it (one level deep here). */
static void remove_directory(const char *path) {
    if (rmdir(path) == 0) return;   /* the usual case: the handler left nothing */
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir))) {
            if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) unlinkat(dirfd(dir), entry->d_name, 0);
        }
        closedir(dir);
    }
    if (rmdir(path) != 0) handler_die("rmdir", path);
}

/* Writes the event to the handler's stdin and closes it. */
static void write_event(int fd, const char *event, size_t length) {
    for (size_t written = 0; written < length;) {
        ssize_t k = write(fd, event + written, length - written);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        written += (size_t)k;
    }
    close(fd);
}

/* Reads the handler's stdout to EOF, reaps it (wait4: its rusage is metering's CPU and peak RSS),
 * and prepares the next run. */
static int handler_finish(struct handler_worker *w, pid_t pid, int out) {
    char output[4096], path[700];
    while (read(out, output, sizeof output) > 0) {}
    close(out);
    int status;
    while (wait4(pid, &status, __WALL, &w->usage) < 0) {
        if (errno != EINTR) handler_die("wait4", NULL);
    }
    if (w->isolated) {
        if (w->cgroups) {
            snprintf(path, sizeof path, "%s/memory.max_usage_in_bytes", w->memory_dir);
            w->peak_bytes = read_number(path);
            snprintf(path, sizeof path, "%s/cpuacct.usage", w->cpuacct_dir);
            w->cpu_ns = read_number(path) - w->cpu_before;
        }
        remove_directory(w->directory);
        prepare_next_run(w);
    }
    return status;
}

/* Runs argv[0] with `event` on stdin, reads its stdout to EOF; returns its wait status. */
static int handler_run(struct handler_worker *w, char **argv, const char *event, size_t length) {
    int in[2], out[2];
    /* Close-on-exec, or a child spawned by another thread would hold these open. */
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) handler_die("pipe2", NULL);
    if (w->isolated && w->runs == 0) prepare_next_run(w);
    pid_t pid = vfork();
    if (pid < 0) handler_die("vfork", NULL);
    if (pid == 0) child(w, in[0], out[1], argv);
    close(in[0]);
    close(out[1]);
    write_event(in[1], event, length);
    return handler_finish(w, pid, out[0]);
}
