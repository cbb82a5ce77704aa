/* The measured ceiling of issue 4's bucket targets: the mandated bucket path in C, with nothing
 * else, to tell how much of each target the design leaves reachable here and how much Flint's
 * own cost takes away.
 *
 *   watch      raw inotify (IN_CLOSE_WRITE | IN_MOVED_TO) on one directory, read by whichever
 *              worker is the leader (leader/follower): it commits what it read, queues all but
 *              the first event for the other workers and runs the first itself, so an event
 *              crosses no thread on its way to its handler.
 *   commit     per read() of events, one transaction (WAL, synchronous=NORMAL): for each file its
 *              index row (key, size, mtime, inode, MD5 of the content: the eTag), its message
 *              (a small S3-shaped event) and its delivery: leased for the event the reader runs
 *              itself, ready for the others, which a worker leases when it is free to start one
 *              (the bus leases only what can start now). Every event is committed before its
 *              handler starts, as the issue asks.
 *   run        WORKERS threads run HANDLER PATH ARG... as ceiling-handler.h does (bare,
 *              isolated, or isolated with an instance cgroup), the event on stdin, its stdout
 *              read to EOF; then the delivery is settled with its invocation row (the metering),
 *              in one transaction with the settlements other workers queued meanwhile
 *              (GROUP_SETTLE=0: one transaction each). All workers write through one connection
 *              (SHARED_CONNECTION=0: one each), as Flint's single writer does.
 *
 * Left out, all of which Flint does on the same path: watching subdirectories, filters, ignored
 * names, the sequencer, causation depth, the removed events, the bus's wake-up and claim, the
 * outputs, retries, logs, timeouts, metrics.
 *
 *   cc -O2 -pthread -o /tmp/bucket-ceiling bench/bucket-ceiling.c -lsqlite3 -lcrypto
 *   /tmp/bucket-ceiling DB DIR WORKERS bare|isolated|isolated+cgroup HANDLER [ARG...]
 * Runs until SIGTERM or SIGINT, then runs what it committed and prints the counts. */
#include "ceiling-handler.h"
#include "ceiling-sqlite.h"

#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

struct job {
    long long delivery;
    int leased;   /* the reader's own event, leased in the commit; the others are claimed */
    char path[4096 + 256];
    char event[4096 + 512];
};

/* Committed events that no worker has taken yet. */
enum { QUEUE_SIZE = 65536 };
static struct job *queue[QUEUE_SIZE];
static size_t queue_head, queue_count;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
/* The one worker that holds it reads inotify (leader/follower: no hand-off between threads on
 * an event's way to its handler). */
static pthread_mutex_t leader = PTHREAD_MUTEX_INITIALIZER;
/* SQLite has one writer: the connections take turns rather than wait on SQLITE_BUSY. */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

static const char *db_path, *watch_dir, *handler_path;
static char **handler_args;   /* ARG... after the path */
static int handler_arg_count;
static int isolated, cgroups;
static char work_root[600];
static int inotify_fd, stop_fd;
static _Atomic int stopping;
static _Atomic long long committed, settled;

/* The object index, beside the bus's tables. */
static const char object_schema[] =
    "CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    "  inode INTEGER NOT NULL, etag TEXT NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;";

/* The file's size, mtime, inode and MD5 (hex); 0 if it is gone or not a regular file. */
static int describe(const char *path, struct stat *info, char etag[33]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    if (fstat(fd, info) != 0 || !S_ISREG(info->st_mode)) { close(fd); return 0; }
    static EVP_MD *md5_algorithm;   /* fetched once (first call under the writer mutex) */
    if (!md5_algorithm) md5_algorithm = EVP_MD_fetch(NULL, "MD5", NULL);
    EVP_MD_CTX *md5 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md5, md5_algorithm, NULL);
    unsigned char buffer[65536], digest[16];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) EVP_DigestUpdate(md5, buffer, (size_t)n);
    close(fd);
    EVP_DigestFinal_ex(md5, digest, NULL);
    EVP_MD_CTX_free(md5);
    for (int i = 0; i < 16; i++) snprintf(etag + 2 * i, 3, "%02x", digest[i]);
    return 1;
}

static void push(struct job *job) {
    pthread_mutex_lock(&queue_lock);
    if (queue_count == QUEUE_SIZE) { fprintf(stderr, "bucket-ceiling: queue full\n"); exit(1); }
    queue[(queue_head + queue_count++) % QUEUE_SIZE] = job;
    pthread_mutex_unlock(&queue_lock);
}

static struct job *take(void) {
    pthread_mutex_lock(&queue_lock);
    struct job *job = NULL;
    if (queue_count > 0) {
        job = queue[queue_head];
        queue_head = (queue_head + 1) % QUEUE_SIZE;
        queue_count--;
    }
    pthread_mutex_unlock(&queue_lock);
    return job;
}

struct connection {
    sqlite3 *db;
    sqlite3_stmt *object, *message, *delivery, *lease, *done, *invocation;
};

/* SHARED_CONNECTION (default 1; 0: a connection per worker): one writer connection for every
 * worker (the writes take turns on the mutex anyway; GRDB has one writer connection too), so its
 * page cache stays warm.
 * GROUP_SETTLE (default 1; 0: a transaction per run): a run's settlement is queued and committed
 * by whichever worker next holds the writer, several in one transaction (each is still
 * committed after its handler ran). */
static int shared_connection, group_settle;
static struct connection shared;

struct settlement { long long delivery, started, duration; int status; };
enum { SETTLE_MAX = 65536 };
static struct settlement settlements[SETTLE_MAX];
static size_t settlement_count;
static pthread_mutex_t settle_lock = PTHREAD_MUTEX_INITIALIZER;

static void connect_worker(struct connection *c) {
    c->db = open_db(db_path);
    c->object = prepare(c->db, "INSERT INTO objects (bucket, key, size, mtime_ns, inode, etag) VALUES ('b', ?, ?, ?, ?, ?)"
                               " ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,"
                               " inode = excluded.inode, etag = excluded.etag");
    c->message = prepare(c->db, "INSERT INTO messages (topic, body, published_at) VALUES ('flint.bucket.b', ?, ?)");
    c->delivery = prepare(c->db, "INSERT INTO deliveries (message, state, attempt, visible_at, lease_epoch, lease_expiry)"
                                 " VALUES (?1, CASE WHEN ?3 THEN 'leased' ELSE 'ready' END, ?3, ?2, ?3,"
                                 " CASE WHEN ?3 THEN ?2 + 60000000 END)");
    c->lease = prepare(c->db, "UPDATE deliveries SET state = 'leased', attempt = 1, lease_epoch = 1, lease_expiry = ?"
                              " WHERE id = ? AND state = 'ready'");
    c->done = prepare(c->db, "UPDATE deliveries SET state = 'done', lease_expiry = NULL WHERE id = ? AND lease_epoch = 1");
    c->invocation = prepare(c->db, "INSERT INTO invocations (delivery, started_at, duration_us, status) VALUES (?, ?, ?, ?)");
}

/* As the leader: waits for events (or the stop), commits them in one transaction, queues all but
 * the first and returns the first (NULL on stop, or when every event was ignored). */
static struct job *read_and_commit(struct connection *c) {
    struct pollfd fds[2] = {{.fd = inotify_fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    while (poll(fds, 2, -1) < 0) {
        if (errno != EINTR) handler_die("poll", "inotify");
    }
    if (fds[1].revents) {
        stopping = 1;
        return NULL;
    }
    static char events[65536] __attribute__((aligned(__alignof__(struct inotify_event))));   /* the leader's */
    ssize_t length = read(inotify_fd, events, sizeof events);
    if (length < 0) {
        if (errno == EINTR || errno == EAGAIN) return NULL;
        handler_die("read", "inotify");
    }
    struct job *first = NULL;
    long long jobs = 0;
    pthread_mutex_lock(&writer);
    if (shared_connection) c = &shared;
    exec_sql(c->db, "BEGIN IMMEDIATE");
    struct job *batch[4096];
    for (char *at = events; at < events + length;) {
        struct inotify_event *event = (struct inotify_event *)at;
        at += sizeof *event + event->len;
        if (event->len == 0 || event->name[0] == '.' || jobs == 4096) continue;
        struct job *job = malloc(sizeof *job);
        snprintf(job->path, sizeof job->path, "%s/%s", watch_dir, event->name);
        struct stat info;
        char etag[33];
        if (!describe(job->path, &info, etag)) { free(job); continue; }
        long long mtime_ns = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec, now = now_us();
        sqlite3_bind_text(c->object, 1, event->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(c->object, 2, info.st_size);
        sqlite3_bind_int64(c->object, 3, mtime_ns);
        sqlite3_bind_int64(c->object, 4, (long long)info.st_ino);
        sqlite3_bind_text(c->object, 5, etag, 32, SQLITE_STATIC);
        step_done(c->db, c->object);
        snprintf(job->event, sizeof job->event,
                 "{\"Records\":[{\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
                 "\"object\":{\"key\":\"%s\",\"size\":%lld,\"eTag\":\"%s\"}}}]}",
                 event->name, (long long)info.st_size, etag);
        sqlite3_bind_text(c->message, 1, job->event, -1, SQLITE_STATIC);
        sqlite3_bind_int64(c->message, 2, now);
        step_done(c->db, c->message);
        job->leased = jobs == 0;
        sqlite3_bind_int64(c->delivery, 1, sqlite3_last_insert_rowid(c->db));
        sqlite3_bind_int64(c->delivery, 2, now);
        sqlite3_bind_int(c->delivery, 3, job->leased);
        step_done(c->db, c->delivery);
        job->delivery = sqlite3_last_insert_rowid(c->db);
        batch[jobs++] = job;
    }
    exec_sql(c->db, "COMMIT");
    pthread_mutex_unlock(&writer);
    committed += jobs;
    for (long long i = 1; i < jobs; i++) push(batch[i]);
    if (jobs > 0) first = batch[0];
    return first;
}

static void settle_one(struct connection *c, const struct settlement *x) {
    sqlite3_bind_int64(c->done, 1, x->delivery);
    step_done(c->db, c->done);
    sqlite3_bind_int64(c->invocation, 1, x->delivery);
    sqlite3_bind_int64(c->invocation, 2, x->started);
    sqlite3_bind_int64(c->invocation, 3, x->duration);
    sqlite3_bind_int(c->invocation, 4, x->status);
    step_done(c->db, c->invocation);
}

/* Under the writer mutex: commits every queued settlement in one transaction. */
static void write_settlements(struct connection *c) {
    static struct settlement taken[SETTLE_MAX];
    pthread_mutex_lock(&settle_lock);
    size_t n = settlement_count;
    memcpy(taken, settlements, n * sizeof *taken);
    settlement_count = 0;
    pthread_mutex_unlock(&settle_lock);
    if (n == 0) return;
    exec_sql(c->db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < n; i++) settle_one(c, &taken[i]);
    exec_sql(c->db, "COMMIT");
    settled += (long long)n;
}

static void settle(struct connection *c, const struct job *job, long long started, long long duration, int status) {
    struct settlement x = {job->delivery, started, duration, status};
    if (shared_connection) c = &shared;
    if (!group_settle) {
        pthread_mutex_lock(&writer);
        exec_sql(c->db, "BEGIN IMMEDIATE");
        settle_one(c, &x);
        exec_sql(c->db, "COMMIT");
        pthread_mutex_unlock(&writer);
        settled++;
        return;
    }
    pthread_mutex_lock(&settle_lock);
    if (settlement_count == SETTLE_MAX) { fprintf(stderr, "bucket-ceiling: settlements full\n"); exit(1); }
    settlements[settlement_count++] = x;
    pthread_mutex_unlock(&settle_lock);
    /* If another thread holds the writer, this one is written by the next settlement or claim
     * that gets it, or by the final write of every worker when it stops. */
    for (;;) {
        if (pthread_mutex_trylock(&writer) != 0) return;
        write_settlements(c);
        pthread_mutex_unlock(&writer);
        pthread_mutex_lock(&settle_lock);
        size_t left = settlement_count;
        pthread_mutex_unlock(&settle_lock);
        if (left == 0) return;
    }
}

/* Leases a queued event's delivery before its handler starts, right after writing the
 * settlements other workers queued meanwhile (while it holds the writer anyway). */
static void claim(struct connection *c, const struct job *job) {
    if (shared_connection) c = &shared;
    pthread_mutex_lock(&writer);
    if (group_settle) write_settlements(c);
    exec_sql(c->db, "BEGIN IMMEDIATE");
    sqlite3_bind_int64(c->lease, 1, now_us() + 60LL * 1000 * 1000);
    sqlite3_bind_int64(c->lease, 2, job->delivery);
    step_done(c->db, c->lease);
    if (sqlite3_changes(c->db) != 1) { fprintf(stderr, "bucket-ceiling: delivery %lld was not ready\n", job->delivery); exit(1); }
    exec_sql(c->db, "COMMIT");
    pthread_mutex_unlock(&writer);
}

static void *work(void *argument) {
    int index = (int)(long)argument;
    struct connection c;
    if (!shared_connection) connect_worker(&c);
    struct handler_worker handler;
    handler_worker_init(&handler, isolated, cgroups, index, work_root);
    char *argv[64];
    argv[0] = (char *)handler_path;
    for (int i = 0; i < handler_arg_count; i++) argv[2 + i] = handler_args[i];
    argv[2 + handler_arg_count] = NULL;
    for (;;) {
        struct job *job = take();
        if (!job) {
            pthread_mutex_lock(&leader);
            job = take();
            if (!job && !stopping) job = read_and_commit(&c);
            pthread_mutex_unlock(&leader);
        }
        if (!job) {
            if (stopping) break;
            continue;
        }
        if (!job->leased) claim(&c, job);
        argv[1] = job->path;
        long long started = now_us();
        int status = handler_run(&handler, argv, job->event, strlen(job->event));
        settle(&c, job, started, now_us() - started, status);
        free(job);
    }
    pthread_mutex_lock(&writer);
    write_settlements(shared_connection ? &shared : &c);
    pthread_mutex_unlock(&writer);
    handler_worker_finish(&handler);
    if (!shared_connection) sqlite3_close_v2(c.db);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 6 || (strcmp(argv[4], "bare") && strcmp(argv[4], "isolated") && strcmp(argv[4], "isolated+cgroup")) ||
        argc - 6 > 60) {
        fprintf(stderr, "usage: %s DB DIR WORKERS bare|isolated|isolated+cgroup HANDLER [ARG...]\n", argv[0]);
        return 2;
    }
    db_path = argv[1];
    watch_dir = argv[2];
    int workers = atoi(argv[3]);
    isolated = strcmp(argv[4], "bare") != 0;
    cgroups = strcmp(argv[4], "isolated+cgroup") == 0;
    handler_path = argv[5];
    handler_args = argv + 6;
    handler_arg_count = argc - 6;
    if (workers <= 0 || workers > 256) { fprintf(stderr, "bucket-ceiling: bad WORKERS\n"); return 2; }
    remove_database(db_path);
    snprintf(work_root, sizeof work_root, "%.590s.work", db_path);
    sqlite3 *db = open_db(db_path);
    exec_sql(db, bus_schema);
    exec_sql(db, object_schema);
    sqlite3_close(db);

    /* Every thread inherits the blocked signals: only sigwait below takes the stop signals, and no
     * handler can run in a vfork child (which clears the mask for the handler). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigset_t blocked = stop_signals;
    sigaddset(&blocked, SIGPIPE);   /* a handler that exits before reading its stdin: EPIPE */
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    stop_fd = eventfd(0, EFD_CLOEXEC);
    if (inotify_fd < 0 || stop_fd < 0 || inotify_add_watch(inotify_fd, watch_dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
        handler_die("inotify", watch_dir);
    shared_connection = env_int("SHARED_CONNECTION", 1);
    group_settle = env_int("GROUP_SETTLE", 1);
    if (shared_connection) connect_worker(&shared);
    pthread_t threads[256];
    for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, work, (void *)(long)i);
    fprintf(stderr, "bucket-ceiling: watching %s\n", watch_dir);
    int received;
    sigwait(&stop_signals, &received);
    uint64_t one = 1;
    if (write(stop_fd, &one, sizeof one) != sizeof one) handler_die("write", "eventfd");
    for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
    if (shared_connection) sqlite3_close_v2(shared.db);
    handler_cleanup();
    printf("committed=%lld settled=%lld workers=%d mode=%s\n", (long long)committed, (long long)settled, workers, argv[4]);
    return committed == settled ? 0 : 1;
}
