/* The raw spawn ceiling: how many handler processes per second this machine can start, feed
 * 1 KiB on stdin, read back and reap, with nothing else around them (no HTTP, no bookkeeping).
 * THREADS threads each loop vfork+exec of HANDLER for SECONDS.
 *
 *   cc -O2 -pthread -o /tmp/spawn-ceiling bench/spawn-ceiling.c
 *   /tmp/spawn-ceiling /tmp/peers/bin/echo 2 10
 *
 * Any process-per-request server is bounded by this figure on the same machine. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static const char *handler;
static double seconds;
static atomic_long spawned;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *loop(void *unused) {
    (void)unused;
    char input[1024], output[4096];
    for (size_t i = 0; i < sizeof input; i++) input[i] = 'a' + i % 26;
    double end = now() + seconds;
    while (now() < end) {
        int in[2], out[2];
        /* Close-on-exec, or a child spawned by the other thread would hold these open. */
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) { perror("pipe2"); exit(1); }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        char *argv[] = {(char *)handler, NULL};
        pid_t pid;
        /* glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK), as Flint's shim does. */
        if (posix_spawn(&pid, handler, &actions, NULL, argv, environ)) { perror("posix_spawn"); exit(1); }
        posix_spawn_file_actions_destroy(&actions);
        close(in[0]);
        close(out[1]);
        if (write(in[1], input, sizeof input) != sizeof input) { perror("write"); exit(1); }
        close(in[1]);
        while (read(out[0], output, sizeof output) > 0) {}
        close(out[0]);
        int status;
        waitpid(pid, &status, 0);
        atomic_fetch_add(&spawned, 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s HANDLER THREADS SECONDS\n", argv[0]);
        return 2;
    }
    handler = argv[1];
    int threads = atoi(argv[2]);
    seconds = atof(argv[3]);
    pthread_t ids[64];
    double start = now();
    for (int i = 0; i < threads && i < 64; i++) pthread_create(&ids[i], NULL, loop, NULL);
    for (int i = 0; i < threads && i < 64; i++) pthread_join(ids[i], NULL);
    double elapsed = now() - start;
    printf("%ld spawns in %.2f s with %d threads: %.0f spawns/s\n", (long)spawned, elapsed, threads, spawned / elapsed);
    return 0;
}
