#!/usr/bin/env python3
"""Queue trigger benchmark: Flint's SQLite message bus beside huey (the peers' queue-bench.py).

Run by bench/queue-bench.sh (which checks the tools and builds the handlers); `queue_bench.py
report DIR` re-renders the summary of a finished run from DIR/results.json.

Per repetition, the peer first (queue-bench.py with PEERS=$QUEUE_PEERS, REPS=1, N=$N, in its own
PEERS_DIR), then Flint:
  publish  python sqlite3 INSERTs into the project's database (daemon stopped, so no consumer, like
           huey's enqueue with the consumer stopped; the topic has a queue trigger, so the schema's
           fan-out writes a delivery per message): one message per commit with
           synchronous=NORMAL (Flint's default) and =FULL (huey's default); 100 per commit; one per
           commit with the daemon running on an unsubscribed topic; HTTP POST
           /v1/topics/T/messages (wrk, keep-alive, one message or a list of 100 per request, at
           each concurrency of $WRK_CONNS) on that unsubscribed topic
  e2e-1    daemon up, queue trigger batch 1, function concurrency 8 running the static C echo-done;
           N messages published in one transaction; rate = N / (last done - publish start);
           checks the ledger has N ok invocations and every delivery is done
  e2e-10   the same with batch 10 and N_BATCH messages
  latency  idle daemon, LAT_COUNT single messages, each published LAT_GAP after the previous one
           was handled, to a function running echo-done-start (bench/echo-done-variants.c:
           echo-done's main() unchanged, its entry time appended to a start log afterwards);
           latency = that entry time (handler start) - time just before the INSERT; also
           echo-done's own timestamp (handler end) and the ledger's started_at_us (runner start)
  claim    no daemon: CLAIM_SMALL and CLAIM_BIG messages waiting on a subscribed topic, fanned
           out (Bus+FanOut.swift's SQL, as the daemon would); the claim transaction of
           Sources/FlintStore/Bus/Bus+Claim.swift (SQL read from those files at run time: its
           fan-out probe, claimableSQL, then leaseSQL and leasedSQL for the ids it found), limit
           CLAIM_LIMIT, CLAIMS times, each rolled back -> us per claim; EXPLAIN QUERY PLAN
  memory   daemon (concurrency 2) started on the CLAIM_BIG and on the CLAIM_SMALL project: VmRSS
           at each of RSS_AT seconds after start, while it works through the backlog
Env: REPS(3) N(5000) N_PUBLISH(20000) N_PUBLISH_FULL(5000) PUBLISH_BATCH(100) N_BATCH(50000)
     DURATION(5, each wrk run) WRK_CONNS("1 8") LAT_COUNT(200) LAT_GAP(0.02) CLAIM_SMALL(1000)
     CLAIM_BIG(1000000) CLAIMS(2000) CLAIM_LIMIT(10) RSS_AT("2 10") QUEUE_PEERS("huey-subproc-c
     huey-inproc") PEER_LAT_COUNT(30) PEER_LAT_GAP(0.1) SKIP_PEER(0) QUIET_WAIT(0) BODY_BYTES(1024)
     FLINT PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers) OUT(/tmp/flint-bench/queue)
     DEADLINE_S(3600)
Output: summary on stdout (also OUT/summary.txt), OUT/results.json, OUT/results.tsv, raw files
under OUT/raw/.
"""
import json, os, re, signal, sqlite3, statistics as st, subprocess, sys, textwrap, time

import bench_support as bs
from bench_support import ENV, ROOT, env_int, PEERS, QUIET_WAIT, SKIP_PEER, FLINT, ECHO_DONE, children, med
from bench_support import log, check_deadline, spawn, stop, busy, cg_cpu, in_cgroup

REPS = env_int("REPS", 3)
N = env_int("N", 5000)
N_PUBLISH = env_int("N_PUBLISH", 20000)
N_PUBLISH_FULL = env_int("N_PUBLISH_FULL", 5000)
PUBLISH_BATCH = env_int("PUBLISH_BATCH", 100)
N_BATCH = env_int("N_BATCH", 50000)
DURATION = env_int("DURATION", 5)
WRK_CONNS = ENV("WRK_CONNS", "1 8").split()
LAT_COUNT = env_int("LAT_COUNT", 200)
LAT_GAP = float(ENV("LAT_GAP", "0.02"))
CLAIM_SMALL = env_int("CLAIM_SMALL", 1000)
CLAIM_BIG = env_int("CLAIM_BIG", 1_000_000)
CLAIMS = env_int("CLAIMS", 2000)
CLAIM_LIMIT = env_int("CLAIM_LIMIT", 10)
RSS_AT = [float(x) for x in ENV("RSS_AT", "2 10").split()]
QUEUE_PEERS = ENV("QUEUE_PEERS", "huey-subproc-c huey-inproc").split()
PEER_LAT_COUNT = ENV("PEER_LAT_COUNT", "30")
PEER_LAT_GAP = ENV("PEER_LAT_GAP", "0.1")
BODY_BYTES = env_int("BODY_BYTES", 1024)
OUT = ENV("OUT", "/tmp/flint-bench/queue")
DEADLINE = bs.set_deadline("queue bench", 3600)
CLAIM_SWIFT = os.path.join(ROOT, "Sources/FlintStore/Bus/Bus+Claim.swift")
FAN_OUT_SWIFT = os.path.join(ROOT, "Sources/FlintStore/Bus/Bus+FanOut.swift")
RAW = os.path.join(OUT, "raw")
ECHO_DONE_START = os.path.join(OUT, "bin", "echo-done-start")
PROJ = os.path.join(OUT, "projects")
BODY = ("m" * BODY_BYTES)[:BODY_BYTES]   # text bodies (Flint's bodies are TEXT); overwritten below
INSERT = "INSERT INTO messages (topic, body) VALUES (?, ?)"


# ---------------------------------------------------------------- processes

def fsync_p50(d, n=50):
    """Disk noise gauge (as the peers'): median fdatasync of a 100-byte append, ms."""
    p = os.path.join(d, "fsync.probe")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
    ts = []
    for _ in range(n):
        os.write(fd, b"x" * 100)
        t = time.perf_counter()
        os.fdatasync(fd)
        ts.append((time.perf_counter() - t) * 1e3)
    os.close(fd)
    os.unlink(p)
    return round(st.median(ts), 3)


class Daemon:
    """`flint up --project DIR` in the foreground (in the CPU cgroup), stopped with SIGTERM."""

    def __init__(self, project, name):
        self.project, self.name = project, name
        info = os.path.join(project, ".flint", "daemon.json")
        if os.path.exists(info):
            os.unlink(info)
        cmd = in_cgroup([FLINT, "up", "--project", project])
        self.out = open(os.path.join(RAW, f"{name}.daemon.out"), "ab")
        self.err = open(os.path.join(RAW, f"{name}.daemon.err"), "ab")
        self.t_spawn = time.time()
        self.p = spawn(cmd, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.pid = self.p.pid
        end = time.time() + 60
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"flint up exited with {self.p.returncode} on {project}; see {self.err.name}")
            try:
                d = json.load(open(info))
                if d.get("pid") == self.pid and d.get("url"):
                    self.url = d["url"]
                    break
            except (FileNotFoundError, ValueError):
                pass
            if time.time() > end:
                raise RuntimeError(f"flint up did not write {info} within 60 s")
            time.sleep(0.01)
        self.ready_s = time.time() - self.t_spawn
        self.token = open(os.path.join(project, ".flint", "admin-token")).read().strip()

    def rss_kb(self):
        s = open(f"/proc/{self.pid}/status").read()
        return {k: int(re.search(rf"^{k}:\s+(\d+)", s, re.M).group(1)) for k in ("VmRSS", "RssAnon", "Threads")
                if re.search(rf"^{k}:", s, re.M)}

    def minor_faults(self):
        """Page faults of the daemon's own threads (minflt of /proc/PID/stat; handlers not included)."""
        fields = open(f"/proc/{self.pid}/stat").read().rpartition(")")[2].split()
        return int(fields[7])

    def stop(self):
        stop(self.p, timeout=30)
        self.out.close()
        self.err.close()


# ---------------------------------------------------------------- projects

def make_project(name, function_concurrency, done_log, trigger=None, topics=(), durability="normal", command=None):
    """A project dir with one function `echo` (echo-done x DONE_LOG, or `command`) and optionally
    one queue trigger `q` = (topic, batch). Fresh every call."""
    d = os.path.join(PROJ, name)
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(os.path.join(d, "functions", "echo"))
    os.makedirs(os.path.join(d, "triggers"))
    with open(os.path.join(d, "flint.yaml"), "w") as f:
        f.write("listen: 127.0.0.1:0\nfunctions: [functions]\n")
        f.write(f"bus: {{durability: {durability}}}\n")
        if topics:
            f.write("topics:\n" + "".join(f"  {t}: {{}}\n" for t in topics))
    with open(os.path.join(d, "functions", "echo", "function.yaml"), "w") as f:
        argv = command or [ECHO_DONE, "x", done_log]
        f.write(f"name: echo\ncommand: {json.dumps(argv)}\ntimeout: 30s\n"
                f"concurrency: {function_concurrency}\n")
    if trigger:
        topic, batch = trigger
        with open(os.path.join(d, "triggers", "q.yaml"), "w") as f:
            f.write(f"source: queue\nfunction: echo\ntopic: {topic}\nbatch: {batch}\n")
    r = subprocess.run([FLINT, "validate", "--project", d], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"flint validate {d}: {r.stdout}{r.stderr}")
    return d


def init_project(d, name):
    """Run the daemon once so that the schema, topics and subscriptions exist, then stop it."""
    Daemon(d, name + "-init").stop()


def db_path(d):
    return os.path.join(d, ".flint", "flint.sqlite")


def connect(d, sync="NORMAL"):
    con = sqlite3.connect(db_path(d), isolation_level=None, timeout=30)
    con.execute("PRAGMA busy_timeout = 30000")
    con.execute(f"PRAGMA synchronous = {sync}")
    return con


def q1(con, sql, args=()):
    return con.execute(sql, args).fetchone()[0]


def subscription_of(con, topic):
    return q1(con, "SELECT name FROM subscriptions WHERE topic = ? AND active AND name NOT LIKE 'flint.%'", (topic,))


class Done(bs.LineTail):
    """Incremental reader of an echo-done log: lines 'TAG <CLOCK_REALTIME ns>'."""

    def __init__(self, path):
        super().__init__(path)
        self.count, self.first, self.last = 0, None, None

    def poll(self):
        lines = self.read_lines()
        for ln in lines:
            ts = int(ln.rpartition(b" ")[2])
            self.first = ts if self.first is None else min(self.first, ts)
            self.last = ts if self.last is None else max(self.last, ts)
        self.count += len(lines)
        return len(lines)

    def wait(self, condition, idle_s=30, max_s=900, step=0.02):
        """Polls until condition() or no progress for idle_s; returns condition()."""
        t_prog, start = time.time(), time.time()
        while not condition():
            if self.poll():
                t_prog = time.time()
            if time.time() - t_prog > idle_s or time.time() - start > max_s or time.time() > DEADLINE:
                break
            time.sleep(step)
        return condition()


def ledger_and_deliveries(con, function="echo", since_rowid=0):
    ok = q1(con, "SELECT count(*) FROM invocations WHERE function = ? AND outcome = 'ok' AND rowid > ?", (function, since_rowid))
    other = q1(con, "SELECT count(*) FROM invocations WHERE function = ? AND outcome != 'ok' AND rowid > ?", (function, since_rowid))
    states = dict(con.execute("SELECT state, count(*) FROM deliveries WHERE subscription NOT LIKE 'flint.%' GROUP BY state"))
    return ok, other, states


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))] if s else None


# ---------------------------------------------------------------- the claim SQL, from the Swift source

def swift_static_strings(src):
    """Values of `static let NAME = ...` string constants of a Swift file: concatenations (`+`) of
    multi-line literals (indentation of the closing delimiter removed, `\\` line continuations
    joined), one-line literals and other such constants (`Self.NAME` or `NAME`), with their
    interpolations of such constants (`\\(NAME)`) resolved; other interpolations stay as written."""
    starts = {m.group(1): m.end() for m in re.finditer(r"static let (\w+)\s*(?::\s*String\s*)?=\s*", src)}

    def interpolated(text, depth):
        return re.sub(r"\\\((?:Self\.)?(\w+)\)",
                      lambda m: value(m.group(1), depth + 1) if m.group(1) in starts else m.group(0), text)

    def literal(pos, depth):
        if depth > 10:
            raise ValueError(f"constants nested too deep at offset {pos}")
        if src.startswith('"""', pos):
            nl = src.index("\n", pos)
            close = re.compile(r'\n([ \t]*)"""').search(src, nl)
            indent = close.group(1)
            lines = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in src[nl + 1:close.start()].split("\n")]
            return interpolated(re.sub(r"\\\n", "", "\n".join(lines)), depth), close.end()
        if src.startswith('"', pos):
            m = re.compile(r'"((?:[^"\\\n]|\\.)*)"').match(src, pos)
            text = interpolated(m.group(1), depth)
            return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"), m.end()
        m = re.compile(r"(?:Self\.)?(\w+)").match(src, pos)
        if not m or m.group(1) not in starts or depth > 10:
            raise ValueError(f"cannot read the Swift expression at offset {pos}")
        return value(m.group(1), depth + 1), m.end()

    def value(name, depth=0):
        pos, parts = starts[name], []
        while True:
            v, pos = literal(pos, depth)
            parts.append(v)
            m = re.compile(r"[ \t]*\+[ \t\n]*").match(src, pos)
            if not m:
                return "".join(parts)
            pos = m.end()

    return starts, value


def message_id_sql(table):
    """MessageID.effectiveSQL(table) of Sources/FlintStore/Bus/MessageID.swift: the stored id, or
    the one derived from the row."""
    path = os.path.join(ROOT, "Sources/FlintStore/Bus/MessageID.swift")
    src = open(path).read()
    m = re.search(r'static func derivedSQL\(_ table: String\) -> String \{\s*"""\n(.*?)\n[ \t]*"""', src, re.S)
    if not m:
        raise SystemExit(f"{path}: cannot read derivedSQL; update bench/queue_bench.py")
    derived = re.sub(r"\\\n\s*", "", textwrap.dedent(m.group(1))).strip().replace("\\(table)", table)
    return f"coalesce({table}.message_id, {derived})"


def claim_sql():
    """claimableSQL, sizesSQL (the messages' bytes, read when a batch subscription claims more
    than one), leaseSQL (one UPDATE for the claim's deliveries) and leasedSQL (the leased
    deliveries with their messages) of Bus.claim, read from the Swift file so the benchmark
    follows the code. Fails loudly if their shape changed."""
    src = open(CLAIM_SWIFT).read()
    starts, value = swift_static_strings(src)
    try:
        sqls = [value(name).strip() for name in ("claimableSQL", "sizesSQL", "leaseSQL", "leasedSQL")]
    except (ValueError, KeyError) as e:
        raise SystemExit(f"{CLAIM_SWIFT}: cannot evaluate claimableSQL / sizesSQL / leaseSQL / leasedSQL: {e}; update bench/queue_bench.py")
    sqls = [x.replace('\\(MessageID.effectiveSQL("m"))', message_id_sql("m")) for x in sqls]
    for x in sqls:
        if "\\(" in x:
            raise SystemExit(f"{CLAIM_SWIFT}: a claim SQL string interpolates Swift values; update bench/queue_bench.py")
    return sqls


def fan_out_sql():
    """Bus.fanOut's statements (unfannedRangeSQL, fanOutSQL, advanceCursorSQL), read from the Swift
    file: publishing writes only messages, and the benchmark's prefilled projects need their
    deliveries."""
    src = open(FAN_OUT_SWIFT).read()
    starts, value = swift_static_strings(src)
    try:
        sqls = tuple(value(name).strip() for name in ("unfannedRangeSQL", "fanOutSQL", "advanceCursorSQL"))
    except (ValueError, KeyError) as e:
        raise SystemExit(f"{FAN_OUT_SWIFT}: cannot read Bus.fanOut's SQL: {e}; update bench/queue_bench.py")
    if any("\\(" in x for x in sqls):
        raise SystemExit(f"{FAN_OUT_SWIFT}: Bus.fanOut's SQL interpolates a Swift value; update bench/queue_bench.py")
    return sqls


def fan_out_all(con):
    """What the daemon's consumer does, all at once: every message published so far gets its
    deliveries (one transaction; the caller's connection must not be in one)."""
    _, fan_out, advance = fan_out_sql()
    con.execute("BEGIN IMMEDIATE")
    first = q1(con, "SELECT through_message + 1 FROM fan_out_cursor")
    last = q1(con, "SELECT max(id) FROM messages")
    if last is not None and last >= first:
        con.execute(fan_out, (first, last))
        con.execute(advance, (last,))
    con.execute("COMMIT")


# ---------------------------------------------------------------- the peer

def run_peer(rep):
    pd = os.path.join(OUT, "peer")
    os.makedirs(pd, exist_ok=True)
    env = dict(os.environ, PEERS=" ".join(QUEUE_PEERS), REPS="1", N=str(N), PEERS_DIR=pd,
               LAT_COUNT=PEER_LAT_COUNT, LAT_GAP=PEER_LAT_GAP, QUIET_WAIT=QUIET_WAIT)
    outf = open(os.path.join(RAW, f"rep{rep}-peer.txt"), "w")
    p = spawn([sys.executable, os.path.join(PEERS, "queue-bench.py")], env=env, stdout=outf,
              stderr=subprocess.STDOUT, cwd=PEERS)
    try:
        p.wait(timeout=max(60, DEADLINE - time.time()))
    except subprocess.TimeoutExpired:
        stop(p, timeout=15)
        raise SystemExit("peer queue-bench.py did not finish before the deadline")
    children.remove(p)
    outf.close()
    if p.returncode != 0:
        raise SystemExit(f"peer queue-bench.py failed ({p.returncode}); see {outf.name}")
    runs = [json.loads(ln) for ln in open(os.path.join(pd, "queue", "runs.jsonl"))]
    for r in runs:
        r["rep"] = rep
        lv, lt, dr = r["live"], r["latency"], r["drain"]
        log(f"#   rep {rep} {r['peer']:15} enqueue/s live {lv['enqueue_per_s']:.0f} idle {dr['enqueue_per_s']:.0f}  "
            f"e2e/s {lv['e2e_per_s']:.0f}  drain/s {dr['drain_per_s']:.0f}  latency p50 {lt['median_ms']} ms p90 {lt['p90_ms']} ms  "
            f"lost {lv['lost'] + dr['lost']}  consumer cpu {lv['consumer_cpu_ms_per_msg']} ms/msg  fsync {r['fsync_p50_ms']} ms")
    return runs


# ---------------------------------------------------------------- Flint workloads

def publish_sql(d, topic, n, sync, per_txn):
    con = connect(d, sync)
    con.execute(INSERT, (topic, BODY))   # warm: statement prepared, file open
    t0 = time.perf_counter()
    if per_txn == 1:
        for _ in range(n):
            con.execute(INSERT, (topic, BODY))      # autocommit: one INSERT + commit per message
    else:
        rows = [(topic, BODY)] * per_txn
        for _ in range(n // per_txn):
            con.execute("BEGIN")
            con.executemany(INSERT, rows)
            con.execute("COMMIT")
    dt = time.perf_counter() - t0
    con.close()
    return round((n // per_txn) * per_txn / dt, 1)


def wrk_lua(path, url_path, token, batch):
    one = {"body": BODY}
    body = json.dumps([one] * batch if batch > 1 else one)
    with open(path + ".body", "w") as f:
        f.write(body)
    with open(path, "w") as f:
        f.write(f'local f = io.open("{path}.body", "rb"); local b = f:read("*a"); f:close()\n'
                f'wrk.method = "POST"; wrk.body = b; wrk.path = "{url_path}"\n'
                f'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["Authorization"] = "Bearer {token}"\n')


def run_wrk(url, lua, conns, outfile):
    t = "1" if int(conns) < 2 else "2"
    r = subprocess.run(["wrk", "-t" + t, "-c" + str(conns), f"-d{DURATION}s", "--latency", "-s", lua, url],
                       capture_output=True, text=True, timeout=DURATION + 60)
    open(outfile, "w").write(r.stdout + r.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout).group(1))
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", r.stdout)
    n2 = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    errs = (sum(map(int, e.groups())) if e else 0) + (int(n2.group(1)) if n2 else 0)
    reqs = int(re.search(r"(\d+) requests in", r.stdout).group(1))
    return rps, errs, reqs


def http_mismatch(v):
    """Errors, or fewer messages stored than acknowledged. A few more stored than wrk counted is
    normal: requests still in flight when wrk's time ran out (at most one per connection)."""
    return v["errors"] or not (v["expected"] <= v["stored"] <= v["expected"] + v["in_flight_max"])


def flint_publish(rep):
    res = {}
    done_log = os.path.join(RAW, f"rep{rep}-publish.done.log")
    d = make_project(f"rep{rep}-publish", 8, done_log, trigger=("work", 1), topics=("sink",))
    init_project(d, f"rep{rep}-publish")
    # (a) plain SQL, no daemon: one message per commit (NORMAL, FULL), PUBLISH_BATCH per commit
    res["busy_pct"] = busy()
    res["fsync_p50_ms"] = fsync_p50(d)
    res["sql_single_normal"] = publish_sql(d, "work", N_PUBLISH, "NORMAL", 1)
    res["sql_single_full"] = publish_sql(d, "work", N_PUBLISH_FULL, "FULL", 1)
    res["sql_batch_normal"] = publish_sql(d, "work", N_PUBLISH, "NORMAL", PUBLISH_BATCH)
    con = connect(d)
    expect = 3 + N_PUBLISH + N_PUBLISH_FULL + (N_PUBLISH // PUBLISH_BATCH) * PUBLISH_BATCH
    stored = q1(con, "SELECT count(*) FROM messages WHERE topic = 'work'")
    fan_out_all(con)   # as the daemon would: each message then has its delivery
    res["sql_rows_ok"] = (stored == expect
                          and q1(con, "SELECT count(*) FROM deliveries WHERE state = 'ready' AND subscription NOT LIKE 'flint.%'") == expect)
    # the backlog must not be run by the daemon started for HTTP: drop it (the function is not under test here)
    con.execute("BEGIN")
    con.execute("DELETE FROM deliveries")
    con.execute("DELETE FROM messages")
    con.execute("COMMIT")
    con.close()
    # (b) daemon running; topic `sink` has no subscriber (nothing is invoked): SQL single, then HTTP
    dm = Daemon(d, f"rep{rep}-publish")
    try:
        time.sleep(0.5)
        res["sql_single_normal_daemon_up"] = publish_sql(d, "sink", N_PUBLISH, "NORMAL", 1)
        for batch in (1, PUBLISH_BATCH):
            lua = os.path.join(RAW, f"rep{rep}-publish-b{batch}.lua")
            wrk_lua(lua, "/v1/topics/sink/messages", dm.token, batch)
            for c in WRK_CONNS:
                con = connect(d)
                before = q1(con, "SELECT count(*) FROM messages WHERE topic = 'sink'")
                rps, errs, reqs = run_wrk(dm.url, lua, c, os.path.join(RAW, f"rep{rep}-publish-http-b{batch}-c{c}.txt"))
                stored = q1(con, "SELECT count(*) FROM messages WHERE topic = 'sink'") - before
                con.close()
                res[f"http_b{batch}_c{c}"] = {"msgs_per_s": round(rps * batch, 1), "req_per_s": rps, "errors": errs,
                                              "requests": reqs, "stored": stored, "expected": reqs * batch,
                                              "in_flight_max": int(c) * batch}
    finally:
        dm.stop()
    http = "  ".join(f"{k} {v['msgs_per_s']:.0f}" for k, v in res.items() if k.startswith("http_"))
    log(f"#   rep {rep} flint publish msg/s: sql single NORMAL {res['sql_single_normal']:.0f}  FULL {res['sql_single_full']:.0f}  "
        f"batch{PUBLISH_BATCH} {res['sql_batch_normal']:.0f}  single with daemon up {res['sql_single_normal_daemon_up']:.0f}  "
        f"{http}  (rows ok: {res['sql_rows_ok']}; busy {res['busy_pct']}%, fsync {res['fsync_p50_ms']} ms)")
    for k, v in res.items():
        if k.startswith("http_") and http_mismatch(v):
            log(f"WARNING: {k}: {v['errors']} errors, {v['stored']} stored for {v['expected']} acknowledged")
    return res


def flint_e2e(rep, batch, n):
    name = f"rep{rep}-e2e-b{batch}"
    done_log = os.path.join(RAW, name + ".done.log")
    if os.path.exists(done_log):
        os.unlink(done_log)
    d = make_project(name, 8, done_log, trigger=("work", batch))
    dm = Daemon(d, name)
    res = {"batch": batch, "n": n, "ready_s": round(dm.ready_s, 3)}
    try:
        time.sleep(1.0)
        res["busy_pct"] = busy()
        con = connect(d)
        done = Done(done_log)
        rows = [("work", BODY)] * n
        cpu0 = cg_cpu()
        faults0 = dm.minor_faults()
        t0 = time.time_ns()
        con.execute("BEGIN")
        con.executemany(INSERT, rows)
        con.execute("COMMIT")
        t1 = time.time_ns()
        res["publish_s"] = round((t1 - t0) / 1e9, 3)
        if batch == 1:
            done.wait(lambda: done.count >= n)
        else:
            def all_done():
                return q1(con, "SELECT count(*) FROM deliveries WHERE state IN ('done', 'dead') AND subscription NOT LIKE 'flint.%'") >= n
            done.wait(all_done, step=0.25)
            done.poll()
        if done.last is None:
            raise RuntimeError(f"{name}: no handler ran; see {RAW}/{name}.daemon.err")
        # does the rate hold over the run? handler-done rate in the first and the second half
        ts = sorted(int(ln.rpartition(b" ")[2]) for ln in open(done_log, "rb").read().splitlines())
        h = len(ts) // 2
        if h > 1:
            res["first_half_inv_per_s"] = round((h - 1) / ((ts[h - 1] - ts[0]) / 1e9), 1)
            res["second_half_inv_per_s"] = round((len(ts) - h - 1) / ((ts[-1] - ts[h]) / 1e9), 1)
        res["e2e_s"] = round((done.last - t0) / 1e9, 3)
        res["e2e_per_s"] = round(n / ((done.last - t0) / 1e9), 1)
        res["first_done_ms"] = round((done.first - t0) / 1e6, 2)
        res["drain_per_s"] = round(n / ((done.last - done.first) / 1e9), 1)   # first handler done -> last
        res["invocations_done_log"] = done.count
        # the ledger's last rows commit after the last handler ended
        end = time.time() + 15
        while True:
            ok, other, states = ledger_and_deliveries(con)
            if ok + other >= done.count or time.time() > end:
                break
            time.sleep(0.1)
        cpu1 = cg_cpu()
        res["cpu_ms_per_msg"] = round((cpu1 - cpu0) * 1e3 / n, 4) if cpu0 is not None else None
        res["daemon_faults_per_msg"] = round((dm.minor_faults() - faults0) / n, 3)
        res["ledger_ok"], res["ledger_not_ok"], res["deliveries"] = ok, other, states
        res["handler_p50_us"] = q1(con, "SELECT duration_us FROM invocations ORDER BY duration_us LIMIT 1 OFFSET (SELECT count(*)/2 FROM invocations)")
        want_inv = n if batch == 1 else None
        res["verified"] = (states.get("done", 0) == n and sum(states.values()) == n and other == 0
                           and (want_inv is None or ok == want_inv) and ok == done.count)
        res["avg_batch"] = round(n / max(1, ok), 2)
        con.close()
    finally:
        dm.stop()
    log(f"#   rep {rep} flint e2e batch {batch}: {n} msgs  e2e/s {res['e2e_per_s']:.0f}  (publish {res['publish_s']} s, "
        f"first handler done {res['first_done_ms']} ms, all {res['e2e_s']} s; first to last done {res['drain_per_s']:.0f}/s; "
        f"invocations/s 1st half {res.get('first_half_inv_per_s')} 2nd half {res.get('second_half_inv_per_s')})  invocations ok {res['ledger_ok']} "
        f"(avg {res['avg_batch']} msgs each)  deliveries {res['deliveries']}  cpu {res['cpu_ms_per_msg']} ms/msg  "
        f"daemon page faults {res['daemon_faults_per_msg']}/msg  "
        f"verified {res['verified']}  busy {res['busy_pct']}%")
    if not res["verified"]:
        log(f"WARNING: e2e batch {batch}: expected {n} deliveries done and {'%d ' % n if batch == 1 else ''}ok invocations "
            f"= done-log lines; got ledger ok {res['ledger_ok']}, not ok {res['ledger_not_ok']}, done-log {done.count}, "
            f"deliveries {res['deliveries']}")
    return res


def flint_latency(rep):
    name = f"rep{rep}-latency"
    done_log = os.path.join(RAW, name + ".done.log")
    start_log = os.path.join(RAW, name + ".start.log")
    for path in (done_log, start_log):
        if os.path.exists(path):
            os.unlink(path)
    # echo-done's own code, with the time its main() was entered appended to start_log afterwards.
    d = make_project(name, 8, done_log, trigger=("work", 1), command=[ECHO_DONE_START, "x", done_log, start_log])
    dm = Daemon(d, name)
    res = {}
    try:
        time.sleep(1.0)
        res["busy_pct"] = busy()
        con = connect(d)
        done = Done(done_log)
        pubs, commits, lat, lost = [], [], [], 0
        for i in range(LAT_COUNT):
            check_deadline()
            time.sleep(LAT_GAP)
            t = time.time_ns()
            con.execute(INSERT, ("work", BODY))
            commits.append(time.time_ns() - t)
            pubs.append(t)
            if done.wait(lambda: done.count >= i + 1 - lost, idle_s=5, max_s=5, step=0.0005):
                lat.append((done.last - t) / 1e6)   # the newest line: this message's handler
            else:
                lost += 1
        time.sleep(0.5)
        starts = [r[0] for r in con.execute("SELECT started_at_us FROM invocations WHERE function = 'echo' ORDER BY started_at_us")]
        con.close()
    finally:
        dm.stop()
    good = [x for x in lat if x is not None]
    start_lat = [(s * 1000 - p) / 1e6 for s, p in zip(starts, pubs)] if len(starts) == len(pubs) else []
    mains = [int(line.split()[1]) for line in open(start_log)] if os.path.exists(start_log) else []
    main_lat = [(m - p) / 1e6 for m, p in zip(mains, pubs)] if len(mains) == len(pubs) else []
    res.update({"count": LAT_COUNT, "lost": lost, "p50_ms": round(pct(good, 50), 3), "p99_ms": round(pct(good, 99), 3),
                "max_ms": round(max(good), 3),
                "main_p50_ms": round(pct(main_lat, 50), 3) if main_lat else None,
                "main_p99_ms": round(pct(main_lat, 99), 3) if main_lat else None,
                "main_samples_ms": [round(x, 3) for x in main_lat],
                "start_p50_ms": round(pct(start_lat, 50), 3) if start_lat else None,
                "start_p99_ms": round(pct(start_lat, 99), 3) if start_lat else None,
                "commit_p50_ms": round(pct(commits, 50) / 1e6, 3),
                "samples_ms": [None if x is None else round(x, 3) for x in lat],
                "start_samples_ms": [round(x, 3) for x in start_lat],
                "commit_samples_ms": [round(x / 1e6, 3) for x in commits]})
    log(f"#   rep {rep} flint latency (publish -> handler start, its main()): p50 {res['main_p50_ms']} ms  p99 {res['main_p99_ms']} ms;"
        f"  (publish -> handler done): p50 {res['p50_ms']} ms  p99 {res['p99_ms']} ms  max {res['max_ms']} ms;"
        f"  publish -> runner start (ledger started_at): p50 {res['start_p50_ms']} ms  p99 {res['start_p99_ms']} ms  (the INSERT's commit: p50 "
        f"{res['commit_p50_ms']} ms)  lost {lost}  busy {res['busy_pct']}%")
    return res


CLAIM_PROJECTS = {}


def claim_project(size):
    """Project `claimSIZE` (function concurrency 2, queue trigger on `claimq`), created once per
    bench run; topped up to `size` ready deliveries on each call (the memory test consumes some)."""
    name = f"claim{size}"
    done_log = os.path.join(RAW, name + ".done.log")
    if name not in CLAIM_PROJECTS:
        d = make_project(name, 2, done_log, trigger=("claimq", 1))
        init_project(d, name)
        CLAIM_PROJECTS[name] = d
    d = CLAIM_PROJECTS[name]
    con = connect(d)
    sub = subscription_of(con, "claimq")
    ready = q1(con, "SELECT count(*) FROM deliveries WHERE state = 'ready' AND subscription = ?", (sub,))
    if ready < size:
        t = time.time()
        con.execute("BEGIN")
        con.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
                    "INSERT INTO messages (topic, body) SELECT 'claimq', ? FROM c", (size - ready, BODY[:128]))
        con.execute("COMMIT")
        fan_out_all(con)
        log(f"#   {name}: inserted {size - ready} messages in one transaction in {time.time() - t:.1f} s")
    con.close()
    return d, sub, done_log


def claim_cost(d, sub, sqls):
    select, sizes, update, fetch = sqls
    con = connect(d)
    now = int(time.time() * 1e6)
    expires = now + 60_000_000
    waiting = q1(con, "SELECT count(*) FROM deliveries WHERE state = 'ready' AND subscription = ? AND visible_at_us <= ?", (sub, now))
    plan = [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + select, (sub, now, CLAIM_LIMIT))]
    times, claimed = [], 0
    unfanned, _, _ = fan_out_sql()
    for k in range(CLAIMS + 50):
        t = time.perf_counter_ns()
        con.execute("BEGIN IMMEDIATE")
        con.execute(unfanned, (CLAIM_LIMIT,)).fetchone()   # claim's fan-out first: nothing unfanned here
        ids = [r[0] for r in con.execute(select, (sub, now, CLAIM_LIMIT))]
        id_list = json.dumps(ids)
        if len(ids) > 1:                    # a batch's claim reads its messages' sizes (its byte budget)
            con.execute(sizes, (id_list,)).fetchall()
        con.execute(update, (expires, now, id_list, "echo"))
        if len(con.execute(fetch, (id_list, expires)).fetchall()) != len(ids):
            raise SystemExit("claim cost: leasedSQL did not return every delivery leaseSQL leased")
        con.execute("ROLLBACK")
        if k >= 50:                         # the first 50 warm the cache
            times.append((time.perf_counter_ns() - t) / 1e3)
            claimed += len(ids)
    # the same transaction with nothing in it, to show what the Python driver itself costs
    empty = []
    for _ in range(500):
        t = time.perf_counter_ns()
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        empty.append((time.perf_counter_ns() - t) / 1e3)
    con.close()
    return {"waiting": waiting, "claims": CLAIMS, "per_claim": round(claimed / max(1, len(times)), 2),
            "us_p50": round(st.median(times), 1), "us_p99": round(pct(times, 99), 1),
            "us_mean": round(st.mean(times), 1), "empty_txn_us_p50": round(st.median(empty), 1), "plan": plan}


def memory(rep, size):
    d, sub, done_log = claim_project(size)
    con = connect(d)
    waiting = q1(con, "SELECT count(*) FROM deliveries WHERE state = 'ready' AND subscription = ?", (sub,))
    con.close()
    done = Done(done_log)
    done.poll()
    before = done.count
    dm = Daemon(d, f"rep{rep}-memory{size}")
    res = {"waiting": waiting, "ready_s": round(dm.ready_s, 3), "rss_kb": {}, "rss_anon_kb": {}}
    try:
        for at in RSS_AT:
            time.sleep(max(0.0, dm.t_spawn + at - time.time()))
            r = dm.rss_kb()
            res["rss_kb"][str(at)] = r.get("VmRSS")
            res["rss_anon_kb"][str(at)] = r.get("RssAnon")
        done.first = None
        done.poll()
        res["handled"] = done.count - before
        # handler-done timestamps of this run: (count - 1) / (last - first)
        res["handled_per_s"] = round((res["handled"] - 1) / ((done.last - done.first) / 1e9), 1) if res["handled"] > 1 else 0
    finally:
        dm.stop()
    log(f"#   rep {rep} flint memory, {waiting} waiting, concurrency 2: ready in {res['ready_s']} s; VmRSS "
        + "  ".join(f"{a}s {v / 1024:.1f} MB (anon {res['rss_anon_kb'][a] / 1024:.1f})" for a, v in res["rss_kb"].items())
        + f"; handled {res['handled']} ({res['handled_per_s']}/s)")
    return res


def flint_claims(rep, sqls):
    out = {}
    for size in (CLAIM_SMALL, CLAIM_BIG):
        check_deadline()
        d, sub, _ = claim_project(size)
        out[str(size)] = r = claim_cost(d, sub, sqls)
        log(f"#   rep {rep} flint claim of {CLAIM_LIMIT} with {r['waiting']} waiting: p50 {r['us_p50']} us  p99 {r['us_p99']} us "
            f"(claimed {r['per_claim']} per claim; an empty BEGIN IMMEDIATE/ROLLBACK costs {r['empty_txn_us_p50']} us here)")
    return out


# ---------------------------------------------------------------- summary

def rng(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt(x, nd=0):
    if x is None:
        return "-"
    return f"{x:,.{nd}f}"


def summarize(res):
    lines, tsv = [], []
    P = lambda s="": lines.append(s)
    reps = res["reps"]
    peer = res["peer_runs"]

    def peer_vals(name, f):
        return [f(r) for r in peer if r["peer"] == name]

    def row(metric, unit, vals, peer_name=None, peer_vals_=None, target=None, higher=True, nd=0, note=""):
        m = med(vals)
        lo, hi = rng(vals)
        pm = med(peer_vals_) if peer_vals_ else None
        ratio = (m / pm) if (m is not None and pm) else None
        met = ""
        if target is not None and m is not None:
            val = ratio if isinstance(target, tuple) and target[0] == "ratio" else m
            t = target[1] if isinstance(target, tuple) else target
            met = "met" if (val is not None and ((val >= t) if higher else (val <= t))) else "NOT met"
        P(f"{metric:44} {fmt(m, nd):>10} {fmt(lo, nd):>9}-{fmt(hi, nd):<9} {(peer_name or ''):15} {fmt(pm, nd):>10} "
          f"{fmt(ratio, 2) if ratio is not None else '':>6} {met:8} {note}")
        tsv.append([metric, unit, m, lo, hi, peer_name or "", pm, round(ratio, 3) if ratio else "",
                    "" if target is None else (f"{'>=' if higher else '<='}{target[1] if isinstance(target, tuple) else target}"
                                               + (" x" if isinstance(target, tuple) else "")), met, len([v for v in vals if v is not None])])

    f = lambda key: [r["publish"].get(key) for r in reps]
    fh = lambda key: [r["publish"].get(key, {}).get("msgs_per_s") for r in reps]
    sp = "huey-subproc-c"
    ip = "huey-inproc"
    hdr = f"{'metric':44} {'flint':>10} {'min-max':^19} {'peer':15} {'peer':>10} {'ratio':>6} {'target':8}"
    P(f"# queue bench summary: {len(reps)} rep(s); medians; peer runs in the same repetitions")
    P("")
    P("## publish (messages/s)")
    P(hdr)
    pe_idle = peer_vals(sp, lambda r: r["drain"]["enqueue_per_s"])
    pe_live = peer_vals(sp, lambda r: r["live"]["enqueue_per_s"])
    row("sql 1/commit synchronous=NORMAL (no daemon)", "msg/s", f("sql_single_normal"), sp + " idle", pe_idle,
        note="huey: enqueue with consumer stopped, its default synchronous=FULL")
    row("sql 1/commit synchronous=FULL (no daemon)", "msg/s", f("sql_single_full"), sp + " idle", pe_idle)
    row(f"sql {PUBLISH_BATCH}/commit NORMAL (no daemon)", "msg/s", f("sql_batch_normal"), sp + " idle", pe_idle)
    row("sql 1/commit NORMAL, daemon up", "msg/s", f("sql_single_normal_daemon_up"), sp + " live", pe_live,
        note="flint: unsubscribed topic; huey: consumer running")
    for b in (1, PUBLISH_BATCH):
        for c in WRK_CONNS:
            row(f"http {b}/request c={c}, daemon up", "msg/s", fh(f"http_b{b}_c{c}"), sp + " live", pe_live)
    P("")
    P("## end to end (messages/s = N / (last handler done - publish start))")
    P(hdr)
    e1 = [r["e2e1"]["e2e_per_s"] for r in reps]
    row(f"batch 1, one process per message, N={N}", "msg/s", e1, sp, peer_vals(sp, lambda r: r["live"]["e2e_per_s"]),
        target=("ratio", 3), note="target >= 3x huey-subproc-c (live e2e)")
    row(f"  first to last handler done", "msg/s", [r["e2e1"]["drain_per_s"] for r in reps], sp + " drain",
        peer_vals(sp, lambda r: r["drain"]["drain_per_s"]), note="huey: drain of a prefilled queue")
    for k in ("e2e1",):
        row(f"  handlers done/s, 1st half of the run", "inv/s", [r[k].get("first_half_inv_per_s") for r in reps])
        row(f"  handlers done/s, 2nd half of the run", "inv/s", [r[k].get("second_half_inv_per_s") for r in reps],
            note="should match the 1st half")
    row(f"  cpu ms/msg (daemon + handlers)", "ms", [r["e2e1"]["cpu_ms_per_msg"] for r in reps], sp,
        peer_vals(sp, lambda r: r["live"]["consumer_cpu_ms_per_msg"]), nd=3)
    row(f"  daemon page faults/msg (its own threads)", "", [r["e2e1"].get("daemon_faults_per_msg") for r in reps], nd=2)
    e10 = [r["e2e10"]["e2e_per_s"] for r in reps]
    row(f"batch 10, N={N_BATCH}", "msg/s", e10, ip, peer_vals(ip, lambda r: r["live"]["e2e_per_s"]), target=10000,
        note="target >= 10,000 msg/s; huey-inproc = no process at all, for scale")
    row(f"  first to last handler done", "msg/s", [r["e2e10"]["drain_per_s"] for r in reps], ip + " drain",
        peer_vals(ip, lambda r: r["drain"]["drain_per_s"]))
    row(f"  cpu ms/msg (daemon + handlers)", "ms", [r["e2e10"]["cpu_ms_per_msg"] for r in reps], ip,
        peer_vals(ip, lambda r: r["live"]["consumer_cpu_ms_per_msg"]), nd=3)
    row(f"  daemon page faults/msg (its own threads)", "", [r["e2e10"].get("daemon_faults_per_msg") for r in reps], nd=2)
    P("")
    P(f"## latency on an idle daemon, ms ({LAT_COUNT} single messages, {LAT_GAP * 1000:.0f} ms apart; huey: {PEER_LAT_COUNT}, its p90 shown as p99)")
    P(hdr)
    row("publish -> handler start (its main()) p50", "ms", [r["latency"].get("main_p50_ms") for r in reps],
        target=2, higher=False, nd=3, note="target p50 <= 2 ms")
    row("publish -> handler start (its main()) p99", "ms", [r["latency"].get("main_p99_ms") for r in reps], higher=False, nd=3)
    row("publish -> handler done p50", "ms", [r["latency"]["p50_ms"] for r in reps], sp,
        peer_vals(sp, lambda r: r["latency"]["median_ms"]), higher=False, nd=3, note="huey: enqueue -> done")
    row("publish -> handler done p99", "ms", [r["latency"]["p99_ms"] for r in reps], sp + " p90",
        peer_vals(sp, lambda r: r["latency"]["p90_ms"]), higher=False, nd=3)
    row("publish -> runner start (ledger) p50", "ms", [r["latency"]["start_p50_ms"] for r in reps], nd=3)
    row("publish -> runner start (ledger) p99", "ms", [r["latency"]["start_p99_ms"] for r in reps], nd=3)
    row("  of which the publisher's INSERT + commit p50", "ms", [r["latency"].get("commit_p50_ms") for r in reps], nd=3)
    P("")
    P(f"## claim of {CLAIM_LIMIT} (the code's claim transaction, rolled back), us")
    P(hdr)
    cs = [r["claims"][str(CLAIM_SMALL)]["us_p50"] for r in reps]
    cb = [r["claims"][str(CLAIM_BIG)]["us_p50"] for r in reps]
    row(f"{CLAIM_SMALL} waiting, p50", "us", cs, nd=1)
    row(f"{CLAIM_BIG} waiting, p50", "us", cb, nd=1)
    ratios = [b / s for s, b in zip(cs, cb)]
    row(f"ratio {CLAIM_BIG} / {CLAIM_SMALL}", "x", ratios, target=1.5, higher=False, nd=2, note="target <= 1.5")
    P("")
    P("## daemon memory (VmRSS, MB) with a backlog, function concurrency 2")
    P(hdr)
    for size in (CLAIM_SMALL, CLAIM_BIG):
        for at in RSS_AT:
            row(f"{size} waiting, {at:g} s after start", "MB", [r["memory"][str(size)]["rss_kb"][str(at)] / 1024 for r in reps], nd=1)
    for at in RSS_AT:
        row(f"ratio {CLAIM_BIG}/{CLAIM_SMALL} waiting at {at:g} s", "x",
            [r["memory"][str(CLAIM_BIG)]["rss_kb"][str(at)] / r["memory"][str(CLAIM_SMALL)]["rss_kb"][str(at)] for r in reps],
            nd=2, note="target: flat (~1)")
    P("")
    P("## ratios")
    pe = med(peer_vals(sp, lambda r: r["live"]["e2e_per_s"]))
    if pe:
        paired = [r["e2e1"]["e2e_per_s"] / p["live"]["e2e_per_s"] for r in reps for p in peer
                  if p["peer"] == sp and p["rep"] == r["rep"] and p["live"]["e2e_per_s"]]
        P(f"flint/{sp} end-to-end, one process per message: {med(e1) / pe:.2f}x (target >= 3); "
          f"per repetition: {', '.join(f'{x:.2f}' for x in paired)}")
    if pe_idle:
        P(f"flint/{sp} publish 1/commit: NORMAL {med(f('sql_single_normal')) / med(pe_idle):.2f}x, "
          f"FULL {med(f('sql_single_full')) / med(pe_idle):.2f}x (huey's default is FULL)")
    P(f"flint batch 10: {fmt(med(e10))} msg/s (target >= 10,000)")
    P(f"flint latency p50: publish -> handler start {fmt(med([r['latency'].get('main_p50_ms') for r in reps]), 3)} ms (target <= 2), "
      f"-> handler done {med([r['latency']['p50_ms'] for r in reps]):.3f} ms")
    P(f"flint claim {CLAIM_BIG}/{CLAIM_SMALL}: {med(ratios):.2f} (target <= 1.5)")
    P("")
    P("claim select plan (" + str(CLAIM_BIG) + " waiting): " + " | ".join(reps[-1]["claims"][str(CLAIM_BIG)]["plan"]))
    for r in reps:
        for k in ("e2e1", "e2e10"):
            if not r[k]["verified"]:
                P(f"WARNING: rep {r['rep']} {k}: not verified: ledger ok {r[k]['ledger_ok']}, not ok {r[k]['ledger_not_ok']}, "
                  f"done-log {r[k]['invocations_done_log']}, deliveries {r[k]['deliveries']}")
        if r["latency"]["lost"]:
            P(f"WARNING: rep {r['rep']} latency: {r['latency']['lost']} of {LAT_COUNT} never handled within 5 s")
        for k, v in r["publish"].items():
            if k.startswith("http_") and http_mismatch(v):
                P(f"WARNING: rep {r['rep']} {k}: {v['errors']} errors, {v['stored']} stored of {v['expected']}")
    lost = sum(r["live"]["lost"] + r["drain"]["lost"] for r in peer)
    if lost:
        P(f"note: the peer lost {lost} messages (never done within its timeouts)")
    return "\n".join(lines), tsv


def report(out):
    res = json.load(open(os.path.join(out, "results.json")))
    text, tsv = summarize(res)
    print("\n" + text)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(res.get("header", "") + "\n" + text + "\n")
    with open(os.path.join(out, "results.tsv"), "w") as f:
        f.write("metric\tunit\tflint_median\tflint_min\tflint_max\tpeer\tpeer_median\tratio\ttarget\tmet\treps\n")
        for r in tsv:
            f.write("\t".join("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in r) + "\n")


def main():
    global BODY
    if len(sys.argv) > 2 and sys.argv[1] == "report":
        return report(sys.argv[2])
    if not FLINT or not os.access(FLINT, os.X_OK):
        raise SystemExit("no flint binary: swift build -c release --product flint --scratch-path .build-release, or set FLINT=PATH")
    if not os.access(ECHO_DONE, os.X_OK):
        raise SystemExit(f"{ECHO_DONE} missing: run {PEERS}/build-handlers.sh")
    import base64
    BODY = base64.b64encode(os.urandom(BODY_BYTES)).decode()[:BODY_BYTES]
    sqls = claim_sql()
    subprocess.run(["rm", "-rf", OUT], check=True)
    os.makedirs(RAW)
    # Flint run as root runs handlers as an unprivileged user (docs/isolation.md): they append to
    # done-logs here.
    os.chmod(RAW, 0o1777)
    # echo-done-start: echo-done's main() unchanged, its entry time appended to a start log.
    bs.build_echo_done_variant(ECHO_DONE_START)
    os.makedirs(PROJ)
    bs.cg_new()
    try:
        import huey
        hv = huey.__version__
    except ImportError:
        hv = "missing"
        if not SKIP_PEER:
            raise SystemExit("huey missing: python3 -m pip install huey (or SKIP_PEER=1)")
    fv = subprocess.run([FLINT, "--version"], capture_output=True, text=True).stdout.strip()
    header = (f"# flint queue: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} nproc={os.cpu_count()} reps={REPS} "
              f"N={N} N_PUBLISH={N_PUBLISH} N_BATCH={N_BATCH} LAT={LAT_COUNT}x{LAT_GAP}s claims {CLAIM_SMALL}/{CLAIM_BIG}x{CLAIMS}\n"
              f"# flint {FLINT} ({fv or 'no --version'}, built {time.strftime('%F %T', time.localtime(os.path.getmtime(FLINT)))}); "
              f"sqlite (python) {sqlite3.sqlite_version}; huey {hv}; peers {' '.join(QUEUE_PEERS)}; "
              f"cpu accounting: {'cgroup' if bs.CG else 'none'}; body {BODY_BYTES} B")
    log(header)
    log("# claim select (from Bus+Claim.swift): " + " ".join(sqls[0].split()))
    results = {"header": header, "env": {k: v for k, v in os.environ.items() if k in (
        "REPS", "N", "N_PUBLISH", "N_PUBLISH_FULL", "PUBLISH_BATCH", "N_BATCH", "DURATION", "WRK_CONNS", "LAT_COUNT",
        "LAT_GAP", "CLAIM_SMALL", "CLAIM_BIG", "CLAIMS", "CLAIM_LIMIT", "RSS_AT", "QUEUE_PEERS")},
        "claim_sql": sqls, "reps": [], "peer_runs": []}
    for rep in range(1, REPS + 1):
        check_deadline()
        if not SKIP_PEER:
            results["peer_runs"] += run_peer(rep)
        r = {"rep": rep}
        r["publish"] = flint_publish(rep); check_deadline()
        r["e2e1"] = flint_e2e(rep, 1, N); check_deadline()
        r["e2e10"] = flint_e2e(rep, 10, N_BATCH); check_deadline()
        r["latency"] = flint_latency(rep); check_deadline()
        r["claims"] = flint_claims(rep, sqls)
        r["memory"] = {str(s): memory(rep, s) for s in (CLAIM_BIG, CLAIM_SMALL)}
        results["reps"].append(r)
        json.dump(results, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    log("# plan: " + " | ".join(results["reps"][-1]["claims"][str(CLAIM_BIG)]["plan"]))
    report(OUT)


if __name__ == "__main__":
    def _term(signum, frame):
        raise SystemExit(130)
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    try:
        main()
    finally:
        bs.cleanup(timeout=10)
