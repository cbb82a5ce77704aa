/* The measured ceiling of issue 3's "one handler process per message" path: the durable bus and
 * a process per message, in C, with nothing else: the mandated design made as cheap as it can be,
 * to tell how much of a target the design leaves reachable here and how much Flint's own cost
 * takes away.
 *
 *   publish    one transaction: N messages of BODY bytes, each with its delivery row (ready)
 *   consume    W worker threads writing through one shared connection (WAL, synchronous=NORMAL;
 *              SHARED_CONNECTION=0: one each), as Flint's single writer does: one write
 *              transaction per message that settles the worker's previous delivery
 *              (state done, its invocation row: the metering) and leases the next ready one
 *              (lease epoch + expiry), through a partial index on the claimable rows; then
 *              vfork + execve of HANDLER with the body on stdin, its stdout read to EOF,
 *              wait4. Writes are serialised by a mutex (SQLite has one writer), so no
 *              connection ever waits on SQLITE_BUSY.
 *
 * Left out, all of which Flint does on the same path: the wake-up on another process's commit
 * (the messages are committed before the workers start), the SQS event (JSON, MD5 per body),
 * retries, dead letters, leases given up on failure, the handler's stderr and logs, timeouts,
 * the outcome's parsing, metrics, and with "bare" the isolation.
 *
 * The rate is counted as bench/queue_bench.py counts Flint's: N / (last handler done - publish
 * start), from the handler's own done-log.
 *
 *   cc -O2 -pthread -o /tmp/queue-ceiling bench/queue-ceiling.c -lsqlite3
 *   /tmp/queue-ceiling DB N WORKERS BODY_BYTES bare|isolated|isolated+cgroup HANDLER ARG...
 *
 * "bare" is a plain vfork + execve; "isolated" runs each handler as ../shared/DESIGN.md asks
 * (working directory, session, rlimits, unprivileged user, clean environment); "isolated+cgroup"
 * adds an instance cgroup (v1) with peak memory and CPU read per run, as Flint does on this
 * machine. See ceiling-handler.h. HANDLER gets ARG... as its arguments.
 */
#include "ceiling-handler.h"
#include "ceiling-sqlite.h"

#include <pthread.h>

static const char *db_path;
static int isolated, cgroups;
static char work_root[600];
static char **handler_argv;
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;
static const long long lease_us = 60LL * 1000 * 1000;

static void publish(long n, size_t body_bytes) {
    sqlite3 *db = open_db(db_path);
    exec_sql(db, bus_schema);
    char *body = malloc(body_bytes + 1);
    for (size_t i = 0; i < body_bytes; i++) body[i] = 'a' + i % 26;
    body[body_bytes] = 0;
    sqlite3_stmt *message = prepare(db, "INSERT INTO messages (topic, body, published_at) VALUES ('work', ?, ?)");
    sqlite3_stmt *delivery = prepare(db, "INSERT INTO deliveries (message, state, visible_at) VALUES (?, 'ready', ?)");
    exec_sql(db, "BEGIN IMMEDIATE");
    for (long i = 0; i < n; i++) {
        long long t = now_us();
        sqlite3_bind_text(message, 1, body, (int)body_bytes, SQLITE_STATIC);
        sqlite3_bind_int64(message, 2, t);
        step_done(db, message);
        sqlite3_bind_int64(delivery, 1, sqlite3_last_insert_rowid(db));
        sqlite3_bind_int64(delivery, 2, t);
        step_done(db, delivery);
    }
    exec_sql(db, "COMMIT");
    sqlite3_finalize(message);
    sqlite3_finalize(delivery);
    sqlite3_close(db);
    free(body);
}

struct lease {
    long long delivery, epoch;
    char *body;
    int body_length;
    long long started, duration;
    int status;
};

struct worker {
    sqlite3 *db;
    sqlite3_stmt *done, *invocation, *claimable, *lease, *body;
};

/* CLAIM_BATCH (default 1): how many deliveries a worker leases per transaction, each settled in
 * its next transaction after it ran. Above 1 a worker holds leases it cannot start yet, which
 * issue 3's backpressure rule forbids ("leases only what it can start now"): the knob measures
 * what fewer transactions would be worth, not the design.
 * SHARED_CONNECTION (default 1; 0: a connection per worker): all workers write through one
 * connection (the writes are serialised by the mutex anyway, as GRDB's single writer connection
 * does), so its page cache stays warm. */
static int claim_batch = 1, shared_connection = 0;
static struct worker shared;

static void prepare_worker(struct worker *w) {
    w->db = open_db(db_path);
    w->done = prepare(w->db, "UPDATE deliveries SET state = 'done', lease_expiry = NULL WHERE id = ? AND lease_epoch = ?");
    w->invocation = prepare(w->db, "INSERT INTO invocations (delivery, started_at, duration_us, status) VALUES (?, ?, ?, ?)");
    w->claimable = prepare(w->db, "SELECT id, lease_epoch FROM deliveries WHERE state = 'ready' AND visible_at <= ? ORDER BY visible_at LIMIT 1");
    w->lease = prepare(w->db, "UPDATE deliveries SET state = 'leased', attempt = attempt + 1, lease_epoch = lease_epoch + 1,"
                              " lease_expiry = ? WHERE id = ?");
    w->body = prepare(w->db, "SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.id = ?");
}

/* One write transaction: settles what `previous` ran, then leases up to claim_batch ready
 * deliveries into `next`. Returns how many were leased. */
static int settle_and_claim(struct worker *w, const struct lease *previous, int n_previous, struct lease *next) {
    pthread_mutex_lock(&writer);
    if (shared_connection) w = &shared;
    exec_sql(w->db, "BEGIN IMMEDIATE");
    for (int i = 0; i < n_previous; i++) {
        sqlite3_bind_int64(w->done, 1, previous[i].delivery);
        sqlite3_bind_int64(w->done, 2, previous[i].epoch);
        step_done(w->db, w->done);
        if (sqlite3_changes(w->db) != 1) { fprintf(stderr, "queue-ceiling: stale lease\n"); exit(1); }
        sqlite3_bind_int64(w->invocation, 1, previous[i].delivery);
        sqlite3_bind_int64(w->invocation, 2, previous[i].started);
        sqlite3_bind_int64(w->invocation, 3, previous[i].duration);
        sqlite3_bind_int(w->invocation, 4, previous[i].status);
        step_done(w->db, w->invocation);
    }
    long long now = now_us();
    int found = 0;
    while (found < claim_batch) {
        struct lease *l = &next[found];
        sqlite3_bind_int64(w->claimable, 1, now);
        int row = sqlite3_step(w->claimable) == SQLITE_ROW;
        if (row) {
            l->delivery = sqlite3_column_int64(w->claimable, 0);
            l->epoch = sqlite3_column_int64(w->claimable, 1) + 1;
        }
        sqlite3_reset(w->claimable);
        if (!row) break;
        sqlite3_bind_int64(w->lease, 1, now + lease_us);
        sqlite3_bind_int64(w->lease, 2, l->delivery);
        step_done(w->db, w->lease);
        sqlite3_bind_int64(w->body, 1, l->delivery);
        if (sqlite3_step(w->body) != SQLITE_ROW) die_sql(w->db, "body");
        l->body_length = sqlite3_column_bytes(w->body, 0);
        l->body = malloc((size_t)l->body_length);
        memcpy(l->body, sqlite3_column_blob(w->body, 0), (size_t)l->body_length);
        sqlite3_reset(w->body);
        found++;
    }
    exec_sql(w->db, "COMMIT");
    pthread_mutex_unlock(&writer);
    return found;
}

static void *consume(void *argument) {
    int index = (int)(long)argument;
    struct worker w;
    if (!shared_connection) prepare_worker(&w);
    struct handler_worker handler;
    handler_worker_init(&handler, isolated, cgroups, index, work_root);
    struct lease current[64], next[64];
    int have = settle_and_claim(&w, NULL, 0, current);
    while (have) {
        for (int i = 0; i < have; i++) {
            current[i].started = now_us();
            current[i].status = handler_run(&handler, handler_argv, current[i].body, (size_t)current[i].body_length);
            current[i].duration = now_us() - current[i].started;
        }
        int got = settle_and_claim(&w, current, have, next);
        for (int i = 0; i < have; i++) free(current[i].body);
        memcpy(current, next, sizeof next);
        have = got;
    }
    handler_worker_finish(&handler);
    if (!shared_connection) sqlite3_close(w.db);
    return NULL;
}

static long long count(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement = prepare(db, sql);
    long long value = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
    sqlite3_finalize(statement);
    return value;
}

int main(int argc, char **argv) {
    if (argc < 7 || (strcmp(argv[5], "bare") && strcmp(argv[5], "isolated") && strcmp(argv[5], "isolated+cgroup"))) {
        fprintf(stderr, "usage: %s DB N WORKERS BODY_BYTES bare|isolated|isolated+cgroup HANDLER [ARG...]\n", argv[0]);
        return 2;
    }
    db_path = argv[1];
    long n = atol(argv[2]);
    int workers = atoi(argv[3]);
    size_t body_bytes = (size_t)atol(argv[4]);
    isolated = strcmp(argv[5], "bare") != 0;
    cgroups = strcmp(argv[5], "isolated+cgroup") == 0;
    handler_argv = argv + 6;
    if (n <= 0 || workers <= 0 || workers > 256) { fprintf(stderr, "queue-ceiling: bad N or WORKERS\n"); return 2; }
    /* Larger bodies would fill both pipes while the handler echoes them back unread. */
    if (body_bytes > 65536) { fprintf(stderr, "queue-ceiling: BODY_BYTES over 64 KiB would fill the pipes\n"); return 2; }
    remove_database(db_path);
    snprintf(work_root, sizeof work_root, "%s.work", db_path);
    /* A handler that exits before reading its stdin: EPIPE rather than SIGPIPE (the vfork child
     * clears the mask for the handler). */
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    long long start = now_us();
    publish(n, body_bytes);
    long long published = now_us();
    claim_batch = env_int("CLAIM_BATCH", 1);
    if (claim_batch < 1 || claim_batch > 64) claim_batch = 1;
    shared_connection = env_int("SHARED_CONNECTION", 1);
    if (shared_connection) prepare_worker(&shared);
    pthread_t threads[256];
    for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, consume, (void *)(long)i);
    for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
    long long end = now_us();
    if (shared_connection) sqlite3_close_v2(shared.db);
    handler_cleanup();
    sqlite3 *db = open_db(db_path);
    long long done = count(db, "SELECT count(*) FROM deliveries WHERE state = 'done'");
    long long invocations = count(db, "SELECT count(*) FROM invocations WHERE status = 0");
    sqlite3_close(db);
    /* publish_start_ns is what the done-log's timestamps are compared with */
    printf("publish_start_ns=%lld publish_s=%.3f consume_s=%.3f done=%lld ok_invocations=%lld workers=%d mode=%s cgroups=%s claim_batch=%d shared=%d\n",
           start * 1000, (published - start) / 1e6, (end - published) / 1e6, done, invocations, workers, argv[5],
           cgroups && access("/sys/fs/cgroup/memory", W_OK) == 0 ? "v1" : "none", claim_batch, shared_connection);
    return done == n && invocations == n ? 0 : 1;
}
