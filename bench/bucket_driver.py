#!/usr/bin/env python3
"""Bucket trigger benchmark: Flint's bucket watcher beside the inotifywait+bash loop peer.

Run by bench/bucket-bench.sh (which checks the tools); `bucket_driver.py report DIR` re-prints
the summary of a finished run from DIR/results.json.

The handler on both sides is the peers' echo-done.c (../shared/bench/peers/handlers): it echoes
stdin, then appends "TAG <CLOCK_REALTIME ns>" to a done-log. The peer runs the peers' binary
($PEERS_DIR/bin/echo-done, from build-handlers.sh) as `echo-done PATH DONE < file`. Flint's
function runs flint-echo-done: echo-done.c's main() compiled unchanged (bench/echo-done-variants.c
#includes it) with TAG taken from FLINT_OBJECT_PATH, so no extra exec; its stdin is the S3 event.
A second Flint function runs flint-exec-echo-done, which execs the peers' binary itself (one more
exec per event), for a burst with the very same binary.

Per repetition:
  peer     ../shared/bench/peers/fs-bench.sh with PEERS=inotify-c, REPS=1: its N-file burst
           (fs_driver.py batch: files/s = handled / (last handler timestamp - first write),
           lost), its latency (fs_driver.py latency: write start -> handler done) and its
           watcher CPU ms/file; again with N_BIG files (lost). Then the same loop, started here
           the same way, running echo-done-start (echo-done.c's main() plus a timestamp taken on
           entry to main()) for LAT_COUNT single files: close -> handler start and close ->
           handler done
  flint    one daemon (`flint up --listen 127.0.0.1:0`) with four buckets, each with a bucket
           trigger to its own function (concurrency CONCURRENCY): the same fs_driver.py burst of
           N files (flint-echo-done), the N-file burst through the exec wrapper, the
           fs_driver.py latency, the close -> start/done latency with LAT_COUNT single files, and
           the N_BIG burst; after each, the bus and the ledger are checked (every file one
           message, one delivery done, one ok invocation)
  scan     a bucket of SCAN_OBJECTS files of SCAN_SIZE bytes (created once per run); the daemon
           is started once with a trigger whose suffix matches nothing, so that it indexes them
           without running 100k handlers, and stopped; the trigger is made to match every key,
           and the daemon is started SCAN_REPS times with nothing changed: seconds from spawn to
           the "watching N bucket(s)" line (every directory watched, logged before the comparison
           with the index) and to daemon.json (ready); checks that nothing was published. Then
           SCAN_REPS times with one new file whose key sorts after all others, written while the
           daemon was stopped: the scan compares keys in order, so that file's event is published
           in the scan's last commit; spawn -> its published_at is the whole start-up scan
Env: REPS(3) N(2000) N_BIG(20000) SIZE(1024) LAT_COUNT(200) LAT_GAP(0.05) LAT_POLL(0.0005)
     PEER_LAT_COUNT(50) CONCURRENCY(8) SCAN_OBJECTS(100000) SCAN_SIZE(64) SCAN_REPS(3) SCAN_KEEP(0)
     WRAPPER(1) SPAWN_SECONDS(3; 0 skips the spawn ceiling) SKIP_PEER(0) QUIET_WAIT(0)
     PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers) OUT(/tmp/flint-bench/bucket)
     FLINT DEADLINE_S(1800)
Output: summary on stdout (also OUT/summary.txt), OUT/results.json, OUT/results.tsv, raw files
under OUT/raw/.
"""
import json, os, re, shutil, signal, sqlite3, statistics as st, subprocess, sys, time

import bench_support as bs
from bench_support import ENV, HERE, ROOT, env_int, PEERS, QUIET_WAIT, SKIP_PEER, FLINT, BIN, ECHO_DONE, med
from bench_support import log, check_deadline, spawn, stop, busy, cg_cpu, in_cgroup, pct, fmt, fmtr, ratio

REPS = env_int("REPS", 3)
N = env_int("N", 2000)
N_BIG = env_int("N_BIG", 20000)
SIZE = env_int("SIZE", 1024)
LAT_COUNT = env_int("LAT_COUNT", 200)
LAT_GAP = float(ENV("LAT_GAP", "0.05"))
LAT_POLL = float(ENV("LAT_POLL", "0.0005"))
PEER_LAT_COUNT = env_int("PEER_LAT_COUNT", 50)
CONCURRENCY = env_int("CONCURRENCY", 8)
SCAN_OBJECTS = env_int("SCAN_OBJECTS", 100_000)
SCAN_SIZE = env_int("SCAN_SIZE", 64)
SCAN_REPS = env_int("SCAN_REPS", 3)
SCAN_KEEP = ENV("SCAN_KEEP", "0") == "1"
WRAPPER = ENV("WRAPPER", "1") == "1"
SPAWN_SECONDS = float(ENV("SPAWN_SECONDS", "3"))
OUT = os.path.abspath(ENV("OUT", "/tmp/flint-bench/bucket"))
bs.set_deadline("bucket bench", 1800)
FS_DRIVER = os.path.join(PEERS, "fs_driver.py")
RAW = os.path.join(OUT, "raw")
HBIN = os.path.join(OUT, "bin")
FED = os.path.join(HBIN, "flint-echo-done")
FEX = os.path.join(HBIN, "flint-exec-echo-done")
EDS = os.path.join(HBIN, "echo-done-start")
WATCHING = re.compile(rb"watching (\d+) bucket\(s\)")


# ---------------------------------------------------------------- processes

def fs_driver(*args, timeout=900):
    r = subprocess.run(["/usr/bin/python3", FS_DRIVER] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"fs_driver.py {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout) if r.stdout.strip() else None


def build_handlers():
    subprocess.run([os.path.join(PEERS, "build-handlers.sh")], check=True, stdout=subprocess.DEVNULL, timeout=300)
    for out, flags in ((FED, ["-DVARIANT_ENV"]), (EDS, []), (FEX, ["-DVARIANT_EXEC"])):
        bs.build_echo_done_variant(out, flags)


def spawn_ceiling():
    """bench/spawn-ceiling.c with 2 threads for SPAWN_SECONDS: spawns/s of the static echo."""
    if SPAWN_SECONDS <= 0:
        return None
    exe = os.path.join(HBIN, "spawn-ceiling")
    subprocess.run(["gcc", "-O2", "-pthread", "-o", exe, os.path.join(HERE, "spawn-ceiling.c")], check=True, timeout=120)
    r = subprocess.run([exe, os.path.join(BIN, "echo"), "2", str(SPAWN_SECONDS)], capture_output=True, text=True,
                       timeout=SPAWN_SECONDS + 60)
    m = re.search(r"([\d.]+) spawns/s", r.stdout)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------- logs written by the handlers

class StampLog(bs.LineTail):
    """Incremental reader of a log of "TAG <CLOCK_REALTIME ns>" lines (echo-done's format)."""

    def __init__(self, path):
        super().__init__(path)
        self.seen = {}

    def poll(self):
        for ln in self.read_lines():
            tag, _, ts = ln.decode().rpartition(" ")
            self.seen.setdefault(tag, int(ts))




def close_latency(watch, done, start, count, prefix):
    """COUNT single files, LAT_GAP apart, each after the previous one was handled: close -> handler
    start (START log), close -> handler done (DONE log), write start -> done; ms. "close" is the
    moment close() is called (the writer's own open/write/close, no buffering)."""
    dl, sl, payload = StampLog(done), StampLog(start), os.urandom(SIZE)
    to_start, to_done, write_to_done, run_ms, close_call, lost, per_file = [], [], [], [], [], 0, {}
    for i in range(count):
        check_deadline()
        time.sleep(LAT_GAP)
        p = os.path.join(watch, f"{prefix}{i:04d}")
        t0 = time.time_ns()
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, payload)
        # The event is queued inside close(): timing from its call can only overstate the
        # latency (a timestamp taken after it returns can come late when the writer is
        # preempted, which gave negative latencies on a busy machine).
        t_close = time.time_ns()
        os.close(fd)
        close_call.append((time.time_ns() - t_close) / 1e6)
        end = time.time() + 10
        while time.time() < end:
            dl.poll()
            sl.poll()
            if p in dl.seen and p in sl.seen:
                break
            time.sleep(LAT_POLL)
        if p not in dl.seen or p not in sl.seen:
            lost += 1
            continue
        per_file[p] = (t_close, sl.seen[p])
        to_start.append((sl.seen[p] - t_close) / 1e6)
        to_done.append((dl.seen[p] - t_close) / 1e6)
        write_to_done.append((dl.seen[p] - t0) / 1e6)
        run_ms.append((dl.seen[p] - sl.seen[p]) / 1e6)

    def summary(xs):
        return {"p50": round(st.median(xs), 3), "p90": round(pct(xs, 0.9), 3), "p99": round(pct(xs, 0.99), 3),
                "min": round(min(xs), 3), "max": round(max(xs), 3)} if xs else None
    return {"count": count, "lost": lost, "close_to_start_ms": summary(to_start), "close_to_done_ms": summary(to_done),
            "write_start_to_done_ms": summary(write_to_done), "handler_start_to_done_ms": summary(run_ms),
            "close_call_ms": summary(close_call),
            "samples_close_to_start_ms": [round(x, 3) for x in to_start], "per_file": per_file}


# ---------------------------------------------------------------- the peer

def fs_bench(name, n, lat_count):
    """The peers' fs-bench.sh, PEERS=inotify-c, REPS=1, in a PEERS_DIR of its own whose bin/ is
    the shared one (so the peer runs the very binary Flint's wrapper execs)."""
    pd = os.path.join(RAW, name)
    shutil.rmtree(pd, ignore_errors=True)
    os.makedirs(pd)
    os.symlink(BIN, os.path.join(pd, "bin"))
    env = dict(os.environ, PEERS="inotify-c", REPS="1", N=str(n), SIZE=str(SIZE), LAT_COUNT=str(lat_count),
               PEERS_DIR=pd, QUIET_WAIT=QUIET_WAIT)
    with open(os.path.join(RAW, f"{name}.out"), "w") as out:
        r = subprocess.run([os.path.join(PEERS, "fs-bench.sh")], env=env, stdout=out, stderr=subprocess.STDOUT,
                           timeout=max(600, n / 50))
    runs = [json.loads(l) for l in open(os.path.join(pd, "fs", "runs.jsonl")) if l.strip()] if r.returncode == 0 else []
    if not runs:
        raise RuntimeError(f"fs-bench.sh ({name}) failed; see {os.path.join(RAW, name + '.out')}")
    return runs[0]


def peer_close_latency(rep):
    """The inotify-c peer exactly as fs-bench.sh starts it (inotifywait into a named FIFO, a bash
    read loop), running echo-done-start so that the handler's start is stamped too."""
    R = os.path.join(RAW, f"rep{rep}-peer-latency")
    shutil.rmtree(R, ignore_errors=True)
    W = os.path.join(R, "watch")
    os.makedirs(W)
    fifo, done, start = os.path.join(R, "events.fifo"), os.path.join(R, "done.log"), os.path.join(R, "start.log")
    os.mkfifo(fifo)
    env = dict(os.environ, W=W, FIFO=fifo, H=EDS, DONE=done, START=start)
    watcher = spawn(["bash", "-c", 'exec inotifywait -q -m -e close_write,moved_to --format %w%f "$W" > "$FIFO"'],
                    env=env, stderr=open(os.path.join(R, "inotifywait.err"), "w"))
    loop = spawn(["bash", "-c", 'exec < "$FIFO"; while read f; do "$H" "$f" "$DONE" "$START" < "$f" > /dev/null; done'], env=env)
    try:
        if subprocess.run(["/usr/bin/python3", FS_DRIVER, "ready", W, done, "20"], timeout=30).returncode != 0:
            raise RuntimeError("the peer loop did not become ready")
        b = busy()
        res = close_latency(W, done, start, LAT_COUNT, "l")
        res.pop("per_file")
        res["busy_pct_before"] = b
        return res
    finally:
        stop(watcher)
        stop(loop)


# ---------------------------------------------------------------- Flint

class Daemon:
    """`flint up --project DIR --listen 127.0.0.1:0` (in the CPU cgroup), stopped with SIGTERM.
    Started when every bucket directory is watched (the "watching N bucket(s)" line, logged
    before the start-up scan compares the buckets with the index) and daemon.json names it."""

    def __init__(self, project, name, timeout=120, metered=True):
        info = os.path.join(project, ".flint", "daemon.json")
        if os.path.exists(info):
            os.unlink(info)
        self.err_path = os.path.join(RAW, f"{name}.daemon.err")
        self.out = open(os.path.join(RAW, f"{name}.daemon.out"), "wb")
        self.err = open(self.err_path, "wb")
        self.t_spawn_ns = time.time_ns()
        t0 = time.monotonic()
        cmd = [FLINT, "up", "--project", project, "--listen", "127.0.0.1:0"]
        self.p = spawn(in_cgroup(cmd) if metered else cmd,
                       stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.watching_s = self.info_s = None
        end = t0 + timeout
        while self.watching_s is None or self.info_s is None:
            now = time.monotonic()
            if self.p.poll() is not None:
                raise RuntimeError(f"flint up exited with {self.p.returncode} on {project}; see {self.err_path}")
            if self.watching_s is None:
                with open(self.err_path, "rb") as fh:
                    m = WATCHING.search(fh.read())
                if m:
                    self.watching_s, self.buckets = now - t0, int(m.group(1))
            if self.info_s is None:
                try:
                    if json.load(open(info)).get("url"):
                        self.info_s = now - t0
                except (FileNotFoundError, ValueError):
                    pass
            if now > end:
                raise RuntimeError(f"flint up on {project}: no 'watching' line or daemon.json within {timeout} s; see {self.err_path}")
            time.sleep(0.002)

    def log_count(self, pattern):
        with open(self.err_path, "rb") as fh:
            return len(re.findall(pattern, fh.read()))

    def stop(self):
        stop(self.p)
        self.out.close()
        self.err.close()


def write_project(d, functions, triggers):
    """functions: {name: command list}; triggers: {name: (function, bucket, suffix or None)}."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "triggers"))
    with open(os.path.join(d, "flint.yaml"), "w") as f:
        f.write("functions: [functions]\n")
    for name, cmd in functions.items():
        os.makedirs(os.path.join(d, "functions", name))
        with open(os.path.join(d, "functions", name, "function.yaml"), "w") as f:
            f.write(f"name: {name}\ncommand: {json.dumps(cmd)}\ntimeout: 30s\nconcurrency: {CONCURRENCY}\n")
    set_triggers(d, triggers)
    r = subprocess.run([FLINT, "validate", "--project", d], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"flint validate {d}: {r.stdout}{r.stderr}")


def set_triggers(d, triggers):
    for f in os.listdir(os.path.join(d, "triggers")):
        os.unlink(os.path.join(d, "triggers", f))
    for name, (function, bucket, suffix) in triggers.items():
        with open(os.path.join(d, "triggers", f"{name}.yaml"), "w") as f:
            f.write(f"source: bucket\nfunction: {function}\nbucket: {bucket}\n")
            if suffix is not None:
                f.write(f"suffix: {json.dumps(suffix)}\n")


def connect(d):
    con = sqlite3.connect(os.path.join(d, ".flint", "flint.sqlite"), isolation_level=None, timeout=30)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def bus_check(con, trigger, function, expect, wait_s=60):
    """Messages on the trigger's topic, its deliveries by state and the function's invocations by
    outcome, once every delivery is settled (or wait_s passed)."""
    end = time.time() + wait_s
    while True:
        states = dict(con.execute("SELECT state, count(*) FROM deliveries WHERE function = ? GROUP BY state", (function,)))
        if states.get("done", 0) >= expect and not states.get("ready") and not states.get("leased") or time.time() > end:
            break
        time.sleep(0.1)
    messages = con.execute("SELECT count(*) FROM messages WHERE topic = ?", (f"flint.bucket.{trigger}",)).fetchone()[0]
    outcomes = dict(con.execute("SELECT outcome, count(*) FROM invocations WHERE function = ? GROUP BY outcome", (function,)))
    return {"expected": expect, "messages": messages, "deliveries": states, "invocations": outcomes,
            "ok": messages == expect and states == {"done": expect} and outcomes == {"ok": expect}}


def flint_stages(con, per_file):
    """Where close -> handler start goes, from the bus and the ledger, per latency file (ms,
    medians): close -> the event's published_at (the watcher read the event and the file),
    -> the delivery's first_received_at (committed, consumer woken, claimed), -> the ledger's
    started_at (the runner begins), -> the handler's own start stamp (working directory, spawn,
    exec)."""
    rows = con.execute("""
        SELECT json_extract(m.attributes, '$."flint.object_path"'), m.published_at_us, d.first_received_at_us, i.started_at_us
        FROM messages m JOIN deliveries d ON d.message = m.id JOIN invocations i ON i.id = d.last_invocation_id
        WHERE m.topic = 'flint.bucket.lat'""").fetchall()
    stages = {"close_to_published": [], "published_to_claimed": [], "claimed_to_runner_start": [], "runner_start_to_handler_start": []}
    for path, pub, claimed, started in rows:
        if path not in per_file:
            continue
        t_close, h_start = per_file[path]
        stages["close_to_published"].append((pub * 1000 - t_close) / 1e6)
        stages["published_to_claimed"].append((claimed - pub) / 1e3)
        stages["claimed_to_runner_start"].append((started - claimed) / 1e3)
        stages["runner_start_to_handler_start"].append((h_start - started * 1000) / 1e6)
    return {k: {"p50": round(st.median(v), 3), "p90": round(pct(v, 0.9), 3)} if v else None for k, v in stages.items()}


def burst(W, done, n, max_s, idle_s):
    cpu0 = cg_cpu()
    b = fs_driver("batch", W, done, n, SIZE, max_s, idle_s, timeout=max_s + 60)
    time.sleep(0.2)
    cpu1 = cg_cpu()
    b["cpu_ms_per_file"] = round((cpu1 - cpu0) * 1000 / n, 4) if cpu0 is not None else None
    return b


def flint_rep(rep):
    P = os.path.join(OUT, "projects", f"rep{rep}-flint")
    B = os.path.join(P, "buckets")
    logs = {k: os.path.join(RAW, f"rep{rep}-flint-{k}.log") for k in ("burst", "wrap", "lat-done", "lat-start", "big")}
    for f in logs.values():
        if os.path.exists(f):
            os.unlink(f)
    write_project(P, {
        "echo": [FED, logs["burst"]],
        "echo-wrap": [FEX, ECHO_DONE, logs["wrap"]],
        "echo-lat": [FED, logs["lat-done"], logs["lat-start"]],
        "echo-big": [FED, logs["big"]],
    }, {"burst": ("echo", "burst", None), "wrap": ("echo-wrap", "wrap", None), "lat": ("echo-lat", "lat", None),
        "big": ("echo-big", "big", None)})
    d = Daemon(P, f"rep{rep}-flint")
    con = connect(P)
    res = {"startup_watching_s": round(d.watching_s, 4), "startup_daemon_json_s": round(d.info_s, 4)}
    probes = {}
    try:
        for bucket, lg in (("burst", "burst"), ("wrap", "wrap"), ("lat", "lat-done"), ("big", "big")):
            W = os.path.join(B, bucket)
            if subprocess.run(["/usr/bin/python3", FS_DRIVER, "ready", W, logs[lg], "20"], timeout=30).returncode != 0:
                raise RuntimeError(f"Flint did not run the handler of bucket {bucket} within 20 s; see {d.err_path}")
            probes[bucket] = len([f for f in os.listdir(W) if f.startswith("p")])

        res["busy_pct_before_burst"] = busy()
        res["burst"] = burst(os.path.join(B, "burst"), logs["burst"], N, 300, 20)
        log(f"#   rep {rep} flint burst N={N}: {json.dumps(res['burst'])}")
        if WRAPPER:
            res["busy_pct_before_wrap"] = busy()
            res["wrap"] = burst(os.path.join(B, "wrap"), logs["wrap"], N, 300, 20)
            log(f"#   rep {rep} flint burst N={N} through the exec wrapper: {json.dumps(res['wrap'])}")
        res["busy_pct_before_latency"] = busy()
        res["fs_latency"] = fs_driver("latency", os.path.join(B, "burst"), logs["burst"], PEER_LAT_COUNT, SIZE, 0.05, 5)
        log(f"#   rep {rep} flint fs_driver latency (write start -> done): {json.dumps(res['fs_latency'])}")
        res["latency"] = close_latency(os.path.join(B, "lat"), logs["lat-done"], logs["lat-start"], LAT_COUNT, "l")
        res["latency"]["stages"] = flint_stages(con, res["latency"].pop("per_file"))
        log(f"#   rep {rep} flint close -> start {res['latency']['close_to_start_ms']}, close -> done {res['latency']['close_to_done_ms']}")
        log(f"#   rep {rep} flint stages of close -> start: {json.dumps(res['latency']['stages'])}")
        res["busy_pct_before_big"] = busy()
        res["big"] = burst(os.path.join(B, "big"), logs["big"], N_BIG, 900, 30)
        log(f"#   rep {rep} flint burst N={N_BIG}: {json.dumps(res['big'])}")

        # Every file written: one message, one delivery done, one ok invocation.
        res["checks"] = {
            "burst": bus_check(con, "burst", "echo", probes["burst"] + N + PEER_LAT_COUNT),
            "lat": bus_check(con, "lat", "echo-lat", probes["lat"] + LAT_COUNT),
            "big": bus_check(con, "big", "echo-big", probes["big"] + N_BIG),
        }
        if WRAPPER:
            res["checks"]["wrap"] = bus_check(con, "wrap", "echo-wrap", probes["wrap"] + N)
        res["overflow_warnings"] = d.log_count(rb"queue overflow")
        res["daemon_errors"] = d.log_count(rb"\b(error|critical)\b")
        log(f"#   rep {rep} flint checks: " + ", ".join(f"{k} {'ok' if v['ok'] else json.dumps(v)}" for k, v in res["checks"].items())
            + f"; overflow warnings {res['overflow_warnings']}, error lines {res['daemon_errors']}")
    finally:
        con.close()
        d.stop()
    return res


# ---------------------------------------------------------------- the start-up scan

def scan_bench():
    P = os.path.join(OUT, "projects", "scan")
    done = os.path.join(RAW, "scan-done.log")
    if os.path.exists(done):
        os.unlink(done)
    write_project(P, {"echo-scan": [FED, done]}, {"objects": ("echo-scan", "objects", ".matches-no-key")})
    W = os.path.join(P, "buckets", "objects")
    os.makedirs(W)
    payload = b"s" * SCAN_SIZE
    t = time.monotonic()
    for i in range(SCAN_OBJECTS):
        with open(os.path.join(W, f"o{i:06d}"), "wb") as fh:
            fh.write(payload)
    res = {"objects": SCAN_OBJECTS, "object_bytes": SCAN_SIZE, "create_s": round(time.monotonic() - t, 2)}
    log(f"#   scan: created {SCAN_OBJECTS} files of {SCAN_SIZE} B in one directory in {res['create_s']} s")
    try:
        d = Daemon(P, "scan-index", timeout=900, metered=False)
        con, indexed, end = connect(P), 0, time.time() + 900
        while indexed < SCAN_OBJECTS and time.time() < end and d.p.poll() is None:
            indexed = con.execute("SELECT count(*) FROM objects WHERE bucket = 'objects'").fetchone()[0]
            time.sleep(0.01)
        res["index_s"] = round((time.time_ns() - d.t_spawn_ns) / 1e9, 3)
        d.stop()
        res["indexed"] = con.execute("SELECT count(*) FROM objects WHERE bucket = 'objects'").fetchone()[0]
        m0 = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        con.close()
        log(f"#   scan: first start indexed {res['indexed']} objects in {res['index_s']} s (spawn -> all rows in the index; "
            f"the trigger's suffix matches no key, so no handler runs)")
        set_triggers(P, {"objects": ("echo-scan", "objects", None)})
        runs, sentinel_runs = [], []
        for r in range(SCAN_REPS):
            check_deadline()
            b = busy()
            d = Daemon(P, f"scan-restart{r + 1}", timeout=120, metered=False)
            time.sleep(1.0)   # anything the scan published would be dispatched by now
            d.stop()
            runs.append({"watching_s": round(d.watching_s, 4), "daemon_json_s": round(d.info_s, 4), "busy_pct_before": b})
            log(f"#   scan: restart {r + 1}, nothing changed: 'watching' after {d.watching_s:.3f} s, daemon.json after {d.info_s:.3f} s (busy {b}%)")
        con = connect(P)
        res["messages_published_by_restarts"] = con.execute("SELECT count(*) FROM messages").fetchone()[0] - m0
        res["indexed_after"] = con.execute("SELECT count(*) FROM objects WHERE bucket = 'objects'").fetchone()[0]
        con.close()
        res["handler_runs"] = sum(1 for _ in open(done)) if os.path.exists(done) else 0
        # The "watching" line comes before the comparison with the index, which logs nothing
        # when nothing changed. To see when it ends, one new file whose key sorts after every
        # other is written while the daemon is stopped: the scan compares keys in order and
        # publishes its event in the last commit of the scan.
        for r in range(SCAN_REPS):
            check_deadline()
            sentinel = os.path.join(W, f"zz-sentinel-{r + 1}")
            with open(sentinel, "wb") as fh:
                fh.write(payload)
            b = busy()
            d = Daemon(P, f"scan-sentinel{r + 1}", timeout=120, metered=False)
            con, published, end = connect(P), None, time.time() + 60
            while published is None and time.time() < end:
                published = (con.execute("SELECT published_at_us FROM messages WHERE topic = 'flint.bucket.objects' "
                                         "AND json_extract(attributes, '$.\"flint.object_path\"') = ?", (sentinel,)).fetchone() or [None])[0]
                time.sleep(0.002)
            dl, end = StampLog(done), time.time() + 30
            while sentinel not in dl.seen and time.time() < end:
                dl.poll()
                time.sleep(0.002)
            con.close()
            d.stop()
            run = {"watching_s": round(d.watching_s, 4), "daemon_json_s": round(d.info_s, 4), "busy_pct_before": b,
                   "scan_done_s": round((published * 1000 - d.t_spawn_ns) / 1e9, 4) if published else None,
                   "handler_done_s": round((dl.seen[sentinel] - d.t_spawn_ns) / 1e9, 4) if sentinel in dl.seen else None}
            sentinel_runs.append(run)
            log(f"#   scan: restart {r + 1}, one new file sorted last: 'watching' after {d.watching_s:.3f} s, its event published "
                f"(scan done) after {run['scan_done_s']} s, its handler done after {run['handler_done_s']} s (busy {b}%)")
        res["restarts"] = runs
        res["sentinel_restarts"] = sentinel_runs
        res["restart_watching_s_median"] = round(st.median(x["watching_s"] for x in runs), 4)
        res["restart_ready_s_median"] = round(st.median(x["daemon_json_s"] for x in runs), 4)
        done_s = [x["scan_done_s"] for x in sentinel_runs if x["scan_done_s"] is not None]
        res["scan_done_s_median"] = round(st.median(done_s), 4) if done_s else None
        res["sentinel_events_missing"] = sum(1 for x in sentinel_runs if x["scan_done_s"] is None)
    finally:
        if not SCAN_KEEP:
            shutil.rmtree(W, ignore_errors=True)
    return res


# ---------------------------------------------------------------- report







def summarize(res):
    prm = res["meta"]["params"]
    N, N_BIG, SIZE, CONCURRENCY, WRAPPER = prm["N"], prm["N_BIG"], prm["SIZE"], prm["CONCURRENCY"], prm["WRAPPER"]
    reps = res["reps"]
    peer = [r["peer"] for r in reps if r.get("peer")]
    fl = [r["flint"] for r in reps]
    L = []
    L.append(f"bucket triggers: Flint vs the inotifywait+bash loop peer (inotify-c), same run; {res['meta']['when']}, "
             f"nproc={res['meta']['nproc']}, REPS={len(reps)}, N={N}, N_BIG={N_BIG}, SIZE={SIZE}, concurrency {CONCURRENCY}")
    L.append(f"handler: peer = {prm['ECHO_DONE']} PATH DONE < file; Flint = flint-echo-done DONE (echo-done.c's main, compiled "
             f"unchanged, TAG from FLINT_OBJECT_PATH, stdin = the S3 event; no extra exec)"
             + ("; 'exec wrapper' row = flint-exec-echo-done execing the peers' echo-done binary (2 execs per event)" if WRAPPER else ""))
    if res["meta"].get("spawn_ceiling"):
        L.append(f"spawn ceiling now (bench/spawn-ceiling.c, static echo, 2 threads, {prm['SPAWN_SECONDS']:g} s): "
                 f"{res['meta']['spawn_ceiling']:,.0f} spawns/s")
    L.append("")
    rows = []
    fb = med(r["burst"]["files_per_s"] for r in fl)
    pb = med(p["n"]["batch"]["files_per_s"] for p in peer) if peer else None
    rows.append((f"{N}-file burst, files/s", fmtr([r["burst"]["files_per_s"] for r in fl]),
                 fmtr([p["n"]["batch"]["files_per_s"] for p in peer]), fmt(ratio(fb, pb), ".2f"), ">= 2x"))
    rows.append(("  lost (sum over reps)", str(sum(r["burst"]["lost"] for r in fl)),
                 str(sum(p["n"]["batch"]["lost"] for p in peer)) if peer else "n/a", "", ""))
    # The writer shares the CPUs with what it feeds: a burst cannot end before its last file is
    # written, so a slow writer caps files/s whatever the consumer does.
    rows.append(("  writer's time to write them, s", fmt(med(r["burst"]["write_s"] for r in fl), ".2f"),
                 fmt(med(p["n"]["batch"]["write_s"] for p in peer), ".2f") if peer else "n/a", "", ""))
    fc = med(r["burst"]["cpu_ms_per_file"] for r in fl)
    pc = med(p["n"]["watcher_cpu_ms_per_file"] for p in peer) if peer else None
    rows.append(("  CPU ms/file (all it ran)", fmt(fc, ".3f"), fmt(pc, ".3f"), fmt(ratio(fc, pc), ".2f"), ""))
    if WRAPPER:
        fw = med(r["wrap"]["files_per_s"] for r in fl)
        rows.append((f"{N}-file burst, exec wrapper", fmtr([r["wrap"]["files_per_s"] for r in fl]), "", fmt(ratio(fw, pb), ".2f"), ">= 2x"))
    fbb = med(r["big"]["files_per_s"] for r in fl)
    pbb = med(p["big"]["batch"]["files_per_s"] for p in peer) if peer else None
    rows.append((f"{N_BIG}-file burst, files/s", fmtr([r["big"]["files_per_s"] for r in fl]),
                 fmtr([p["big"]["batch"]["files_per_s"] for p in peer]), fmt(ratio(fbb, pbb), ".2f"), ""))
    rows.append(("  lost (sum over reps)", str(sum(r["big"]["lost"] for r in fl)),
                 str(sum(p["big"]["batch"]["lost"] for p in peer)) if peer else "n/a", "", "0 lost"))
    for key, label, target in (("close_to_start_ms", "close -> handler start", "p50 <= 1 ms"),
                               ("close_to_done_ms", "close -> handler done", ""),
                               ("handler_start_to_done_ms", "handler start -> done", "")):
        for q in ("p50", "p90", "p99"):
            f = med(r["latency"][key][q] for r in fl if r["latency"][key])
            p = med(x["latency"][key][q] for x in peer if x["latency"][key]) if peer else None
            rows.append((f"{label} {q}, ms", fmt(f, ".3f"), fmt(p, ".3f"), fmt(ratio(f, p), ".2f"), target if q == "p50" else ""))
    f = med(r["fs_latency"]["median_ms"] for r in fl)
    p = med(x["n"]["latency"]["median_ms"] for x in peer) if peer else None
    rows.append(("fs_driver write start -> done p50, ms", fmt(f, ".3f"), fmt(p, ".3f"), fmt(ratio(f, p), ".2f"), ""))
    sc = res.get("scan")
    if sc:
        rows.append((f"restart, {sc['objects']:,} unchanged objects: ready, s", fmt(sc["restart_ready_s_median"], ".3f"), "", "", ""))
        rows.append((f"  start-up scan done (+1 new file), s", fmt(sc.get("scan_done_s_median"), ".3f"), "", "", "< 5 s"))
    w = max(len(r[0]) for r in rows)
    wf, wp = max(9, *(len(r[1]) for r in rows)), max(9, *(len(r[2]) for r in rows))
    L.append(f"{'':{w}}  {'Flint':>{wf}}  {'peer':>{wp}}  {'Flint/peer':>10}  target")
    for r in rows:
        L.append(f"{r[0]:{w}}  {r[1]:>{wf}}  {r[2]:>{wp}}  {r[3]:>10}  {r[4]}")
    L.append("(medians over repetitions; for latencies and CPU a ratio below 1 means Flint is faster/cheaper; "
             "'close' = the moment the writer calls close())")
    cc = [r["latency"]["close_call_ms"]["max"] for r in fl if r["latency"].get("close_call_ms")]
    cc += [p["latency"]["close_call_ms"]["max"] for p in peer if p["latency"].get("close_call_ms")]
    if cc:
        L.append(f"the writer's close() call itself took at most {max(cc):.3f} ms")
    L.append("")
    stg = [r["latency"].get("stages") for r in fl if r["latency"].get("stages")]
    if stg:
        names = {"close_to_published": "close -> event published (watcher)", "published_to_claimed": "-> claimed (commit, wake, claim)",
                 "claimed_to_runner_start": "-> runner start", "runner_start_to_handler_start": "-> handler start (spawn)"}
        L.append("Flint's close -> handler start, by stage (p50 ms): " + "; ".join(
            f"{names[k]} {fmt(med(x[k]['p50'] for x in stg if x[k]), '.3f')}" for k in names))
    for r in fl:
        bad = {k: v for k, v in r["checks"].items() if not v["ok"]}
        L.append(f"rep {fl.index(r) + 1} bus/ledger check (every file one message, one delivery done, one ok invocation): "
                 + ("ok" if not bad else "FAILED " + json.dumps(bad))
                 + f"; overflow warnings {r['overflow_warnings']}; daemon error lines {r['daemon_errors']}")
    if sc:
        L.append(f"scan: {sc['objects']:,} files of {sc['object_bytes']} B in one directory; first start indexed {sc['indexed']:,} "
                 f"in {sc['index_s']} s; restarts, nothing changed: " + ", ".join(f"{x['watching_s']:.3f}" for x in sc["restarts"])
                 + f" s to 'watching' (daemon.json " + ", ".join(f"{x['daemon_json_s']:.3f}" for x in sc["restarts"])
                 + f" s); published by those restarts: {sc['messages_published_by_restarts']}, handler runs: {sc['handler_runs']}")
        L.append("scan with one new file whose key sorts last (its event is published in the scan's last commit): "
                 + ", ".join(f"{x['scan_done_s']} s to its event, {x['handler_done_s']} s to its handler's end" for x in sc["sentinel_restarts"])
                 + (f"; MISSING events: {sc['sentinel_events_missing']}" if sc["sentinel_events_missing"] else ""))
    busy_all = [v for r in fl for k, v in r.items() if k.startswith("busy_pct")]
    busy_all += [p["n"]["busy_pct_before"][0] for p in peer] + [p["latency"]["busy_pct_before"] for p in peer]
    L.append(f"busy% before measurements (max): {max(busy_all) if busy_all else 'n/a'}")
    return "\n".join(L)


def write_results(res):
    text = bs.save_results(OUT, res, summarize(res))
    with open(os.path.join(OUT, "results.tsv"), "w") as f:
        f.write("rep\tside\tmeasure\tvalue\n")
        for i, r in enumerate(res["reps"], 1):
            fl = r["flint"]
            for k in ("burst", "wrap", "big"):
                if k in fl:
                    for m in ("files_per_s", "lost", "duplicates", "cpu_ms_per_file"):
                        f.write(f"{i}\tflint\t{k}.{m}\t{fl[k][m]}\n")
            for k in ("close_to_start_ms", "close_to_done_ms", "handler_start_to_done_ms"):
                for q in ("p50", "p90", "p99"):
                    if fl["latency"][k]:
                        f.write(f"{i}\tflint\t{k}.{q}\t{fl['latency'][k][q]}\n")
            if r.get("peer"):
                p = r["peer"]
                for k in ("n", "big"):
                    for m in ("files_per_s", "lost", "duplicates"):
                        f.write(f"{i}\tpeer\t{k}.batch.{m}\t{p[k]['batch'][m]}\n")
                for k in ("close_to_start_ms", "close_to_done_ms", "handler_start_to_done_ms"):
                    for q in ("p50", "p90", "p99"):
                        if p["latency"][k]:
                            f.write(f"{i}\tpeer\t{k}.{q}\t{p['latency'][k][q]}\n")
        if res.get("scan"):
            for k in ("restart_watching_s_median", "restart_ready_s_median", "scan_done_s_median"):
                f.write(f"-\tflint\tscan.{k}\t{res['scan'][k]}\n")
    return text


# ---------------------------------------------------------------- main

def main():
    os.makedirs(RAW, exist_ok=True)
    # Flint run as root runs handlers as an unprivileged user (docs/isolation.md): they append to
    # done-logs here.
    os.chmod(RAW, 0o1777)
    build_handlers()
    bs.cg_new()
    res = {"meta": {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(), "flint": FLINT,
                    "cpu_accounting": "cgroup" if bs.CG else "none",
                    "max_queued_events": int(open("/proc/sys/fs/inotify/max_queued_events").read()),
                    "params": {"N": N, "N_BIG": N_BIG, "SIZE": SIZE, "LAT_COUNT": LAT_COUNT, "LAT_GAP": LAT_GAP,
                               "PEER_LAT_COUNT": PEER_LAT_COUNT, "CONCURRENCY": CONCURRENCY, "WRAPPER": WRAPPER,
                               "SCAN_OBJECTS": SCAN_OBJECTS, "SCAN_SIZE": SCAN_SIZE, "SCAN_REPS": SCAN_REPS,
                               "SPAWN_SECONDS": SPAWN_SECONDS, "ECHO_DONE": ECHO_DONE},
                    "flint_built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(FLINT))),
                    "commit": subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True,
                                             text=True).stdout.strip()[:100]},
           "reps": []}
    log(f"# bucket: {res['meta']['when']} nproc={os.cpu_count()} reps={REPS} N={N} N_BIG={N_BIG} size={SIZE} "
        f"lat_count={LAT_COUNT} concurrency={CONCURRENCY} scan={SCAN_OBJECTS}; flint={FLINT}; cpu accounting: {res['meta']['cpu_accounting']}")
    res["meta"]["spawn_ceiling"] = spawn_ceiling()
    try:
        for rep in range(1, REPS + 1):
            check_deadline()
            r = {}
            if not SKIP_PEER:
                r["peer"] = {"n": fs_bench(f"rep{rep}-peer-{N}", N, PEER_LAT_COUNT)}
                log(f"#   rep {rep} peer burst N={N}: {json.dumps(r['peer']['n']['batch'])} latency {json.dumps(r['peer']['n']['latency'])}")
                r["peer"]["big"] = fs_bench(f"rep{rep}-peer-{N_BIG}", N_BIG, 5)
                log(f"#   rep {rep} peer burst N={N_BIG}: {json.dumps(r['peer']['big']['batch'])}")
                r["peer"]["latency"] = peer_close_latency(rep)
                log(f"#   rep {rep} peer close -> start {r['peer']['latency']['close_to_start_ms']}, "
                    f"close -> done {r['peer']['latency']['close_to_done_ms']}")
            check_deadline()
            r["flint"] = flint_rep(rep)
            res["reps"].append(r)
            write_results(res)
        if SCAN_OBJECTS > 0:
            res["scan"] = scan_bench()
        log("")
        log(write_results(res))
    finally:
        bs.cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "report":
        OUT = os.path.abspath(sys.argv[2])
        print(summarize(json.load(open(os.path.join(OUT, "results.json")))))
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        main()
