/* SQLite as the ceiling benchmarks (queue-ceiling.c, bucket-ceiling.c) use it: WAL with
 * synchronous=NORMAL, Flint's default durability; every failure ends the run. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void die_sql(sqlite3 *db, const char *what) {
    fprintf(stderr, "ceiling: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die_sql(db, sql);
}

static sqlite3 *open_db(const char *path) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) die_sql(db, "open");
    sqlite3_busy_timeout(db, 5000);
    exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) die_sql(db, sql);
    return statement;
}

static void step_done(sqlite3 *db, sqlite3_stmt *statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) die_sql(db, sqlite3_sql(statement));
    sqlite3_reset(statement);
}

/* The bus as both ceilings keep it: messages, one delivery per message with its lease, the
 * partial index claims go through, and the invocation rows metering needs. */
static const char bus_schema[] =
    "CREATE TABLE messages (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, body TEXT NOT NULL,"
    "  published_at INTEGER NOT NULL);"
    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, message INTEGER NOT NULL REFERENCES messages,"
    "  state TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, visible_at INTEGER NOT NULL,"
    "  lease_epoch INTEGER NOT NULL DEFAULT 0, lease_expiry INTEGER);"
    "CREATE INDEX deliveries_claimable ON deliveries (visible_at) WHERE state = 'ready';"
    "CREATE TABLE invocations (id INTEGER PRIMARY KEY, delivery INTEGER NOT NULL, started_at INTEGER NOT NULL,"
    "  duration_us INTEGER NOT NULL, status INTEGER NOT NULL);";

/* Removes the database left by an earlier run, with its WAL and shared-memory files. */
static void remove_database(const char *path) {
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}
