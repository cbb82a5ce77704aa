/* The peers' echo-done handler (../shared/bench/peers/handlers/echo-done.c), compiled unchanged
 * into three variants for bench/bucket-bench.sh. The peer runs `echo-done PATH DONE_LOG < file`;
 * a Flint function gets the path in FLINT_OBJECT_PATH and its S3 event on stdin instead.
 *
 *   -DVARIANT_ENV    flint-echo-done DONE_LOG [START_LOG]
 *                    echo-done's own main() with TAG = $FLINT_OBJECT_PATH: the same code, one exec
 *   (default)        echo-done-start TAG DONE_LOG [START_LOG]
 *                    echo-done's main() as it is; for the peer's close -> start figure
 *   -DVARIANT_EXEC   flint-exec-echo-done ECHO_DONE DONE_LOG
 *                    execs the peers' compiled echo-done binary with $FLINT_OBJECT_PATH and
 *                    DONE_LOG: the very same binary, for one more exec per event
 *
 * With START_LOG, "TAG <CLOCK_REALTIME ns>" taken on entry to main() is appended to START_LOG (one
 * O_APPEND write) after echo-done's main() has returned, so the end timestamp echo-done writes to
 * DONE_LOG is not delayed by it.
 *
 * Build: gcc -static -O2 -Wall -I PEERS/handlers [-DVARIANT_ENV|-DVARIANT_EXEC] -o OUT this.c */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef VARIANT_EXEC
int main(int argc, char **argv) {
    const char *path = getenv("FLINT_OBJECT_PATH");
    if (argc < 3 || path == NULL) {
        static const char u[] = "usage: FLINT_OBJECT_PATH=P flint-exec-echo-done ECHO_DONE DONE_LOG\n";
        write(2, u, sizeof u - 1);
        return 2;
    }
    char *args[] = {argv[1], (char *)path, argv[2], NULL};
    execv(argv[1], args);
    return 127;
}
#else
#define main echo_done_main
#include "echo-done.c"
#undef main

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int append_stamp(const char *log, const char *tag, long long ns) {
    char line[4096];
    int n = snprintf(line, sizeof line, "%s %lld\n", tag, ns);
    if (n <= 0 || n >= (int)sizeof line) return 1;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return 1;
    int bad = write(fd, line, (size_t)n) != n;
    close(fd);
    return bad;
}

int main(int argc, char **argv) {
    long long start = now_ns();
#ifdef VARIANT_ENV
    const char *tag = getenv("FLINT_OBJECT_PATH");
    if (argc < 2 || tag == NULL) {
        static const char u[] = "usage: FLINT_OBJECT_PATH=P flint-echo-done DONE_LOG [START_LOG]\n";
        write(2, u, sizeof u - 1);
        return 2;
    }
    const char *done = argv[1], *start_log = argc > 2 ? argv[2] : NULL;
#else
    if (argc < 3) {
        static const char u[] = "usage: echo-done-start TAG DONE_LOG [START_LOG]\n";
        write(2, u, sizeof u - 1);
        return 2;
    }
    const char *tag = argv[1], *done = argv[2], *start_log = argc > 3 ? argv[3] : NULL;
#endif
    char *args[] = {"echo-done", (char *)tag, (char *)done, NULL};
    int rc = echo_done_main(3, args);
    if (rc == 0 && start_log != NULL) rc = append_stamp(start_log, tag, start);
    return rc;
}
#endif
