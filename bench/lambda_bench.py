#!/usr/bin/env python3
"""Warm instances (`runtime: lambda`) and cold starts: Flint beside lighttpd's static file and
beside the same handlers spawned bare, in one run.

Run by bench/lambda-bench.sh (which checks the tools); `lambda_bench.py report DIR` re-prints the
summary of a finished run from DIR/results.json.

Handlers (built or copied into OUT/functions by this driver):
  lambda-echo     bench/lambda-echo.c, gcc -O2: the Runtime API over one keep-alive HTTP/1.1
                  connection, every event answered with its own bytes
  exec-echo       the same file with -DEXEC_ONLY: stdin -> stdout (one process per request)
  lambda-echo.py  bench/lambda-echo.py: a plain Python Runtime API loop (stdlib http.client)
  awslambdaric    samples/python-lambda's app.py under awslambdaric, vendor/ copied from
                  samples/python-lambda (make python-lambda-deps); bytecode compiled beforehand so
                  that both sides read the same .pyc files
The python handlers run /usr/bin/python3, as the sample does.

Per repetition:
  static   lighttpd serving a 1 KiB file (GET), configured as the peers' http-bench.sh does: the
           no-spawn ceiling. wrk --latency -d DURATION at each concurrency in CONNS (-t1 for c=1,
           else -t2)
  warm     `flint up` (release), HTTP trigger POST /lambda (1 KiB body) to a `runtime: lambda`
           function running lambda-echo, concurrency CONCURRENCY, flint.yaml concurrency
           HOST_CONCURRENCY; the same wrk runs. The response is checked first (the event's body
           comes back), the ledger counted after each run (ok rows, cold starts)
  exec     the same C echo as a `runtime: exec` function (one process per request), same wrk runs
           (EXEC=0 skips it)
  cold     per runtime (C, Python loop, awslambdaric), COLD_COUNT samples, bare and Flint
           alternating:
           bare   the handler started with posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK), as
                  Flint's shim) in its own session, with the environment Flint gives it, against a
                  minimal Runtime API server in this driver (listening before the spawn):
                  spawn -> its first GET /next (init), spawn -> its answer to the first event
                  (first), then WARM_PER_COLD more events: event sent -> answer (warm)
           flint  a function with `idle: IDLE_S` and no live instance (its processes, found in
                  /proc by AWS_LAMBDA_FUNCTION_NAME in their environment, are gone): POST to its
                  trigger on an open keep-alive connection, request -> response (cold e2e), then
                  WARM_PER_COLD more requests (warm e2e); the ledger's init_duration_us (spawn ->
                  first /next, as Flint measures it) and cold_start are read afterwards
           overhead = (cold e2e p50 - warm e2e p50) - (bare first p50 - bare warm p50): what a cold
           invocation costs in Flint beyond what the handler itself needs to start and answer its
           first event; and init overhead = ledger init p50 - bare init p50
  quiet    the warm C echo (`idle: 900s`), COLD_COUNT times: its first request after IDLE_S s of
           quiet (as each cold request comes after its function's idle), then WARM_PER_COLD more:
           what waking an idle daemon costs a request that starts nothing. The C overhead against
           it, (cold e2e p50 - quiet warm p50) - (bare first p50 - bare warm p50), is the cold
           start's own; the target's overhead above counts both
  zero     scale to zero, from the cold samples: the time from the last response until no process
           of the function remains (polled in /proc every ms); target idle + 1 s. Also once per
           repetition with several instances: 8 connections at once to the C cold function
  cgroup   with the daemon stopped: the time to write a new process into a cgroup's cgroup.procs
           (v1: the memory hierarchy, as Flint's spawn shim does first), PROBE_COUNT times after
           0.3 s without a migration and right after one: what an isolated cold start pays for
           its cgroup
CPU ms/request: everything the server ran, handlers included, from a private cgroup (the peers'
cpu-meter.sh); Flint's per-instance cgroups are made inside it, so they count.
Env: REPS(3) DURATION(10) CONNS("1 8 64") CONCURRENCY(8) HOST_CONCURRENCY(64) EXEC(1)
     COLD_COUNT(20) WARM_PER_COLD(5) IDLE_S(1) PROBE_COUNT(10) PORT_BASE(28680) QUIET_WAIT(0)
     PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers) OUT(/tmp/flint-bench/lambda) FLINT
     DEADLINE_S(2400)
Output: summary on stdout (also OUT/summary.txt), OUT/results.json, OUT/results.tsv, raw files
(wrk outputs, daemon and handler logs) under OUT/raw/.
"""
import http.client, json, os, re, selectors, shutil, signal, socket, sqlite3, statistics as st, subprocess, sys, threading, time

import bench_support as bs
from bench_support import ENV, HERE, ROOT, env_int, PEERS, QUIET_WAIT, FLINT, med
from bench_support import log, check_deadline, spawn, stop, busy, cg_cpu, in_cgroup, pct, fmt, fmtr, ratio

REPS = env_int("REPS", 3)
DURATION = env_int("DURATION", 10)
CONNS = [int(c) for c in ENV("CONNS", "1 8 64").split()]
CONCURRENCY = env_int("CONCURRENCY", 8)
HOST_CONCURRENCY = env_int("HOST_CONCURRENCY", 64)
EXEC = ENV("EXEC", "1") == "1"
COLD_COUNT = env_int("COLD_COUNT", 20)
WARM_PER_COLD = env_int("WARM_PER_COLD", 5)
IDLE_S = env_int("IDLE_S", 1)
PROBE_COUNT = env_int("PROBE_COUNT", 10)
PORT_BASE = env_int("PORT_BASE", 28680)
OUT = os.path.abspath(ENV("OUT", "/tmp/flint-bench/lambda"))
bs.set_deadline("lambda bench", 2400)
RAW = os.path.join(OUT, "raw")
FN = os.path.join(OUT, "functions")
PROJECT = os.path.join(OUT, "project")
PYTHON = "/usr/bin/python3"
HANDLER_PATH = "/usr/local/bin:/usr/bin:/bin"
SAMPLE = os.path.join(ROOT, "samples", "python-lambda")
BODY = os.path.join(OUT, "body.bin")
STATIC = os.path.join(OUT, "www", "static.txt")
POST_LUA = os.path.join(OUT, "post.lua")

# The cold-start runtimes: name -> (function directory, command, manifest env).
RUNTIMES = {
    "c": ("cold-c", lambda d: [os.path.join(d, "lambda-echo")], {}),
    "python": ("cold-py", lambda d: [PYTHON, "lambda-echo.py"], {}),
    "awslambdaric": ("cold-ric", lambda d: [PYTHON, "-m", "awslambdaric", "app.handler"], {"PYTHONPATH": "vendor"}),
}
RUNTIME_LABEL = {"c": "C (lambda-echo.c)", "python": "Python loop (http.client)", "awslambdaric": "awslambdaric (samples/python-lambda)"}


# ---------------------------------------------------------------- set-up

def build():
    """Handlers into OUT/functions/<function>/, the 1 KiB body, the static file, wrk's script."""
    shutil.rmtree(FN, ignore_errors=True)
    for d in ("echo-lambda", "echo-exec", "cold-c", "cold-py", "cold-ric"):
        os.makedirs(os.path.join(FN, d))
    src = os.path.join(HERE, "lambda-echo.c")
    for out, flags in ((os.path.join(FN, "echo-lambda", "lambda-echo"), []),
                       (os.path.join(FN, "cold-c", "lambda-echo"), []),
                       (os.path.join(FN, "echo-exec", "exec-echo"), ["-DEXEC_ONLY"])):
        subprocess.run(["gcc", "-O2", "-Wall", "-Wextra"] + flags + ["-o", out, src], check=True, timeout=120)
    shutil.copy(os.path.join(HERE, "lambda-echo.py"), os.path.join(FN, "cold-py", "lambda-echo.py"))
    if subprocess.run(["env", "-i", f"PATH={HANDLER_PATH}", "PYTHONPATH=vendor", PYTHON, "-c", "import awslambdaric"],
                      cwd=SAMPLE, capture_output=True).returncode != 0:
        raise SystemExit(f"lambda bench: awslambdaric is not vendored in {SAMPLE}/vendor: run `make python-lambda-deps`")
    shutil.copy(os.path.join(SAMPLE, "app.py"), os.path.join(FN, "cold-ric", "app.py"))
    shutil.copytree(os.path.join(SAMPLE, "vendor"), os.path.join(FN, "cold-ric", "vendor"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("cold-py", "cold-ric"):
        subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.join(FN, d)], check=True, timeout=300)
    os.makedirs(os.path.dirname(STATIC), exist_ok=True)
    for path in (BODY, STATIC):   # 1 KiB of base64 text, as the peers' http-bench.sh makes them
        with open(path, "wb") as fh:
            fh.write(subprocess.run("head -c 1024 /dev/urandom | base64 -w0 | head -c 1024", shell=True,
                                    capture_output=True, check=True).stdout)
    with open(POST_LUA, "w") as fh:
        fh.write(f'local f = io.open("{BODY}", "rb"); local b = f:read("*a"); f:close()\n'
                 'wrk.method = "POST"; wrk.body = b\n'
                 'wrk.headers["Content-Type"] = "application/octet-stream"\n')
    # Everything the handlers read must be readable by the handler user (nobody under root).
    subprocess.run(["chmod", "-R", "a+rX", OUT], check=True)


def write_project():
    shutil.rmtree(PROJECT, ignore_errors=True)
    os.makedirs(os.path.join(PROJECT, "triggers"))
    with open(os.path.join(PROJECT, "flint.yaml"), "w") as f:
        f.write(f"functions: [{FN}]\nconcurrency: {HOST_CONCURRENCY}\n")

    def function(name, runtime, command, idle=None, env=None):
        with open(os.path.join(FN, name, "function.yaml"), "w") as f:
            f.write(f"name: {name}\nruntime: {runtime}\ncommand: {json.dumps(command)}\ntimeout: 10s\nmemory: 256Mi\n"
                    f"concurrency: {CONCURRENCY}\n")
            if idle:
                f.write(f"idle: {idle}\n")
            if env:
                f.write(f"env: {json.dumps(env)}\n")

    def trigger(name, fn, path):
        with open(os.path.join(PROJECT, "triggers", f"{name}.yaml"), "w") as f:
            f.write(f"source: http\nfunction: {fn}\nmethod: POST\npath: {path}\nauth: none\n")

    # Warm for the whole run: the idle timeout is longer than the throughput phase's gaps and the
    # cold-start phase that ends with its quiet-warm samples.
    function("echo-lambda", "lambda", ["./lambda-echo"], idle="900s")
    trigger("lambda", "echo-lambda", "/lambda")
    function("echo-exec", "exec", ["./exec-echo"])
    trigger("exec", "echo-exec", "/exec")
    for rt, (name, cmd, env) in RUNTIMES.items():
        function(name, "lambda", [c if not c.startswith(FN) else "./" + os.path.basename(c) for c in cmd(os.path.join(FN, name))],
                 idle=f"{IDLE_S}s", env=env)
        trigger(name, name, f"/cold/{rt}")
    r = subprocess.run([FLINT, "validate", "--project", PROJECT], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"flint validate {PROJECT}: {r.stdout}{r.stderr}")


# ---------------------------------------------------------------- servers

def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_http(host, port, path, proc, timeout=60, method="GET"):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {path}")
        try:
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request(method, path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"no answer from {host}:{port}{path} within {timeout} s")


class Lighttpd:
    """lighttpd -D serving OUT/www (static.txt), configured as the peers' http-bench.sh does."""

    def __init__(self, port, rep):
        conf = os.path.join(OUT, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write(f'server.document-root = "{os.path.dirname(STATIC)}"\nserver.bind = "127.0.0.1"\n'
                    f'server.port = {port}\nserver.errorlog = "{RAW}/lighttpd.err"\nserver.max-fds = 8192\n'
                    f'mimetype.assign = ( ".txt" => "text/plain" )\n')
        self.p = spawn(in_cgroup(["lighttpd", "-D", "-f", conf]), stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(RAW, f"rep{rep}-lighttpd.stderr"), "wb"), stdin=subprocess.DEVNULL)
        self.port = port
        wait_http("127.0.0.1", port, "/static.txt", self.p)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/static.txt")
        if c.getresponse().read() != open(STATIC, "rb").read():
            raise RuntimeError("lighttpd: static check failed")
        c.close()

    def stop(self):
        stop(self.p)


class Daemon:
    """`flint up --project PROJECT --listen 127.0.0.1:0` in the CPU cgroup, stopped with SIGTERM;
    started when daemon.json names its address and /healthz answers."""

    def __init__(self, rep):
        info = os.path.join(PROJECT, ".flint", "daemon.json")
        shutil.rmtree(os.path.join(PROJECT, ".flint"), ignore_errors=True)
        self.err_path = os.path.join(RAW, f"rep{rep}-flint.err")
        self.out = open(os.path.join(RAW, f"rep{rep}-flint.out"), "wb")
        self.err = open(self.err_path, "wb")
        self.p = spawn(in_cgroup([FLINT, "up", "--project", PROJECT, "--listen", "127.0.0.1:0"]),
                       stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        end = time.time() + 120
        self.port = None
        while self.port is None:
            if self.p.poll() is not None:
                raise RuntimeError(f"flint up exited with {self.p.returncode}; see {self.err_path}")
            if time.time() > end:
                raise RuntimeError(f"flint up: no daemon.json within 120 s; see {self.err_path}")
            try:
                self.port = json.load(open(info))["port"]
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.005)
        wait_http("127.0.0.1", self.port, "/healthz", self.p)
        self.db = sqlite3.connect(f"file:{PROJECT}/.flint/flint.sqlite?mode=ro", uri=True, isolation_level=None, timeout=30)

    def post(self, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", path, body=body if body is not None else open(BODY, "rb").read(),
                  headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def ledger(self, function, after_rowid=0):
        return self.db.execute("SELECT rowid, outcome, cold_start, init_duration_us, duration_us FROM invocations "
                               "WHERE function = ? AND rowid > ? ORDER BY rowid", (function, after_rowid)).fetchall()

    def max_rowid(self):
        return self.db.execute("SELECT coalesce(max(rowid), 0) FROM invocations").fetchone()[0]

    def wait_ledger(self, function, after_rowid, expect, timeout=30):
        """The function's rows after after_rowid once there are `expect` of them (the ledger commits
        in batches, after the response), or what is there after timeout."""
        end = time.time() + timeout
        while True:
            rows = self.ledger(function, after_rowid)
            if len(rows) >= expect or time.time() > end:
                return rows
            time.sleep(0.05)

    def log_count(self, pattern):
        with open(self.err_path, "rb") as fh:
            return len(re.findall(pattern, fh.read()))

    def stop(self):
        self.db.close()
        stop(self.p)
        self.out.close()
        self.err.close()


# ---------------------------------------------------------------- wrk

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text):
    def lat(s):
        m = re.match(r"([\d.]+)(us|ms|s)$", s)
        return float(m.group(1)) * UNIT[m.group(2)]
    r = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
         "requests": int(re.search(r"(\d+) requests in", text).group(1))}
    for p in ("50", "99"):
        r["p" + p] = lat(re.search(r"^\s+%s%%\s+(\S+)" % p, text, re.M).group(1))
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    n = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["errors"] = (sum(map(int, e.groups())) if e else 0) + (int(n.group(1)) if n else 0)
    return r


def wrk(name, url, c, post):
    """One wrk run: parsed figures plus the server's CPU ms/request and the busy % before it."""
    check_deadline()
    b = busy()
    cpu0 = cg_cpu()
    cmd = ["wrk", f"-t{1 if c < 2 else 2}", f"-c{c}", f"-d{DURATION}s", "--latency"] + (["-s", POST_LUA] if post else []) + [url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=DURATION + 60)
    time.sleep(0.2)   # the last handlers finish and are reaped (exec), their CPU charged
    cpu1 = cg_cpu()
    with open(os.path.join(RAW, f"{name}-c{c}.txt"), "w") as fh:
        fh.write(p.stdout + p.stderr)
    r = parse_wrk(p.stdout)
    r["busy_pct_before"] = b
    r["cpu_ms_per_req"] = round((cpu1 - cpu0) * 1e3 / max(r["requests"], 1), 4) if cpu0 is not None else None
    return r


def check_echo(d, path):
    status, data = d.post(path)
    body = open(BODY, "rb").read().decode()
    try:
        ok = status == 200 and json.loads(data)["body"] == body
    except (ValueError, KeyError):
        ok = False
    if not ok:
        raise RuntimeError(f"echo check failed for {path}: {status} {data[:300]!r}; see {d.err_path}")


# ---------------------------------------------------------------- handler processes in /proc

def handler_pids(function):
    """Processes whose environment names the function (AWS_LAMBDA_FUNCTION_NAME), zombies excluded."""
    key = f"AWS_LAMBDA_FUNCTION_NAME={function}".encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as fh:
                if key not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{d}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        pids.append(int(d))
    return pids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(function, pids, t_last, timeout):
    """Polls the given processes every ms until none is alive; then checks /proc has no other
    process of the function. Returns seconds from t_last (perf_counter) to the moment they were
    all gone, or None on timeout."""
    end = time.perf_counter() + timeout
    while any(alive(p) for p in pids):
        if time.perf_counter() > end:
            return None
        time.sleep(0.001)
    t = time.perf_counter()
    rest = handler_pids(function)
    if rest:   # another instance (not expected): wait for it too
        return wait_gone(function, rest, t_last, max(0.0, end - time.perf_counter()))
    return t - t_last


# ---------------------------------------------------------------- bare: a minimal Runtime API server

class RuntimeStub:
    """The smallest Runtime API server that runs these handlers: listens on 127.0.0.1:0 before the
    spawn, takes requests from any of the runtime's connections (Content-Length bodies), and
    answers them as Flint does (the headers of LAMBDA.md)."""

    def __init__(self):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.ls, selectors.EVENT_READ)
        self.bufs = {}

    def request(self, timeout):
        """Next whole request: (conn, method, path, body, perf_counter_ns when it was complete)."""
        end = time.perf_counter() + timeout
        while True:
            for conn, buf in self.bufs.items():
                req = self._parse(conn, buf)
                if req:
                    return req
            left = end - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no request from the runtime")
            for key, _ in self.sel.select(left):
                if key.fileobj is self.ls:
                    c, _ = self.ls.accept()
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.sel.register(c, selectors.EVENT_READ)
                    self.bufs[c] = bytearray()
                else:
                    data = key.fileobj.recv(65536)
                    if not data:
                        self.sel.unregister(key.fileobj)
                        del self.bufs[key.fileobj]
                        key.fileobj.close()
                    else:
                        self.bufs[key.fileobj] += data

    def _parse(self, conn, buf):
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return None
        head = bytes(buf[:i]).decode("latin-1").split("\r\n")
        method, path, _ = head[0].split(" ", 2)
        length = 0
        for h in head[1:]:
            k, _, v = h.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        if len(buf) < i + 4 + length:
            return None
        t = time.perf_counter_ns()
        body = bytes(buf[i + 4:i + 4 + length])
        del buf[:i + 4 + length]
        return conn, method, path, body, t

    @staticmethod
    def reply(conn, status, body, headers=()):
        reason = {200: "OK", 202: "Accepted"}.get(status, "X")
        h = "".join(f"{k}: {v}\r\n" for k, v in headers)
        conn.sendall(f"HTTP/1.1 {status} {reason}\r\n{h}Content-Length: {len(body)}\r\n\r\n".encode() + body)

    def send_event(self, conn, request_id, event, function):
        self.reply(conn, 200, event, [
            ("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", request_id),
            ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10000)),
            ("Lambda-Runtime-Invoked-Function-Arn", f"arn:aws:lambda:local:000000000000:function:{function}")])

    def close(self):
        for c in list(self.bufs):
            c.close()
        self.ls.close()
        self.sel.close()


def api_gateway_event(body):
    """An API Gateway HTTP API (payload 2.0) event like the one Flint builds for POST /cold/X."""
    now = time.time()
    return json.dumps({
        "version": "2.0", "routeKey": "POST /cold", "rawPath": "/cold", "rawQueryString": "", "cookies": [],
        "headers": {"content-type": "application/octet-stream", "host": "127.0.0.1", "user-agent": "Python-urllib/3.11",
                    "content-length": str(len(body))},
        "queryStringParameters": {}, "pathParameters": {},
        "requestContext": {"accountId": "000000000000", "apiId": "flint", "domainName": "127.0.0.1", "domainPrefix": "127",
                           "http": {"method": "POST", "path": "/cold", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                    "userAgent": "Python-urllib/3.11"},
                           "requestId": "bare", "routeKey": "POST /cold", "stage": "$default",
                           "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000)},
        "body": body, "isBase64Encoded": False}).encode()


def bare_env(function, directory, cmd, env, port):
    """What Flint gives an instance (InstanceSpawn.environment), with this stub's address."""
    v = {"PATH": HANDLER_PATH, "LANG": "C.UTF-8", "TZ": "UTC", "HOME": "/tmp", "TMPDIR": "/tmp"}
    v.update(env)
    v.update({"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}", "LAMBDA_TASK_ROOT": directory,
              "AWS_LAMBDA_FUNCTION_NAME": function, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
              "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_REGION": "local", "AWS_DEFAULT_REGION": "local",
              "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}", "AWS_LAMBDA_LOG_STREAM_NAME": "bare",
              "FLINT_FUNCTION": function})
    if len(cmd) > 1:
        v["_HANDLER"] = cmd[-1]
    return v


def bare_sample(rt, event, log_path):
    """One bare cold start of runtime rt: posix_spawn (own session, the function's directory as
    working directory, Flint's environment) against a RuntimeStub. ms: spawn -> first /next,
    spawn -> answer to the first event, and each warm event's send -> answer."""
    name, cmdf, env = RUNTIMES[rt]
    directory = os.path.join(FN, name)
    cmd = cmdf(directory)
    function = f"bare-{name}"
    stub = RuntimeStub()
    environment = bare_env(function, directory, cmd, env, stub.port)
    path = cmd[0] if os.path.isabs(cmd[0]) else shutil.which(cmd[0], path=HANDLER_PATH)
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    cwd = os.getcwd()
    os.chdir(directory)   # posix_spawn has no working-directory action in python: the driver's own, briefly
    try:
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(path, cmd, environment, file_actions=actions, setsid=True)
    finally:
        os.chdir(cwd)
    try:
        conn, method, p, _, t_next = stub.request(30)
        if method != "GET" or not p.endswith("/invocation/next"):
            raise RuntimeError(f"bare {rt}: first request {method} {p}")
        stub.send_event(conn, "bare-0", event, function)
        conn, method, p, _, t_first = stub.request(30)
        if method != "POST" or "/bare-0/response" not in p:
            raise RuntimeError(f"bare {rt}: expected the response, got {method} {p}")
        stub.reply(conn, 202, b'{"status":"OK"}', [("Content-Type", "application/json")])
        warm = []
        for k in range(1, WARM_PER_COLD + 1):
            conn, method, p, _, _ = stub.request(30)
            t_send = time.perf_counter_ns()
            stub.send_event(conn, f"bare-{k}", event, function)
            conn, method, p, _, t_resp = stub.request(30)
            stub.reply(conn, 202, b'{"status":"OK"}', [("Content-Type", "application/json")])
            warm.append((t_resp - t_send) / 1e6)
        return {"init_ms": (t_next - t0) / 1e6, "first_ms": (t_first - t0) / 1e6, "warm_ms": warm}
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        stub.close()


def timed_posts(d, path, function):
    """1 + WARM_PER_COLD POSTs of the 1 KiB body to `path` on one new keep-alive connection, each
    timed request -> whole response, in ms; any status but 200 ends the run."""
    body = open(BODY, "rb").read()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    c.connect()
    times = []
    try:
        for _ in range(1 + WARM_PER_COLD):
            t0 = time.perf_counter_ns()
            c.request("POST", path, body=body, headers={"Content-Type": "application/octet-stream"})
            r = c.getresponse()
            data = r.read()
            t1 = time.perf_counter_ns()
            if r.status != 200:
                raise RuntimeError(f"{function}: status {r.status}: {data[:300]!r}; see {d.err_path}")
            times.append((t1 - t0) / 1e6)
    finally:
        c.close()
    return times


def flint_cold_sample(d, rt):
    """One cold invocation through Flint: waits until the function has no process, then times a
    request on an open connection, then WARM_PER_COLD warm ones; then the time from the last
    response until the instance's processes are gone (scale to zero)."""
    name = RUNTIMES[rt][0]
    pids = handler_pids(name)
    if pids and wait_gone(name, pids, time.perf_counter(), IDLE_S + 30) is None:
        raise RuntimeError(f"{name}: an instance outlived idle + 30 s")
    times = timed_posts(d, f"/cold/{rt}", name)
    t_last = time.perf_counter()
    pids = handler_pids(name)
    gone = wait_gone(name, pids, t_last, IDLE_S + 30)
    return {"cold_ms": times[0], "warm_ms": times[1:], "instances": len(pids), "to_zero_s": gone}


def quiet_warm_samples(d):
    """The warm C echo's first request after IDLE_S seconds of quiet (as each cold request comes
    after its function's idle), then WARM_PER_COLD more right after it: what waking an idle daemon
    costs a request that starts nothing, so the cold start's own overhead can be told apart."""
    samples = []
    for _ in range(COLD_COUNT):
        check_deadline()
        time.sleep(IDLE_S)
        times = timed_posts(d, "/lambda", "echo-lambda")
        samples.append({"quiet_ms": times[0], "warm_ms": times[1:]})
    return samples


def zero_many(d):
    """Scale to zero with several instances: CONCURRENCY connections post 10 requests each at once
    to the C cold function; then from the last response until none of its processes remains."""
    name = RUNTIMES["c"][0]
    pids = handler_pids(name)
    if pids:
        wait_gone(name, pids, time.perf_counter(), IDLE_S + 30)
    body = open(BODY, "rb").read()
    barrier, ends, errors = threading.Barrier(CONCURRENCY), [], []

    def client():
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        c.connect()
        barrier.wait()
        for _ in range(10):
            c.request("POST", "/cold/c", body=body, headers={"Content-Type": "application/octet-stream"})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        ends.append(time.perf_counter())
        c.close()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_last = max(ends)
    pids = handler_pids(name)
    return {"instances": len(pids), "to_zero_s": wait_gone(name, pids, t_last, IDLE_S + 30), "errors": len(errors)}


# ---------------------------------------------------------------- what joining a cgroup costs

def cgroup_join_probe():
    """How long writing a new process into a cgroup's cgroup.procs takes, which is what Flint's
    spawn shim does before execve for every instance: PROBE_COUNT times after 0.3 s without a
    migration by this driver, and each time once more right after (ms). On
    cgroup v1 the memory hierarchy (Flint's first write); on v2 our own cgroup's child. None where
    no cgroup can be made."""
    if PROBE_COUNT <= 0:
        return None
    own = dict(l.split(":", 2)[1:] for l in open("/proc/self/cgroup").read().splitlines())
    if "memory" in own and os.path.isdir("/sys/fs/cgroup/memory"):
        parent, version = "/sys/fs/cgroup/memory" + own["memory"].rstrip("/"), "v1 memory"
    elif "" in own and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        parent, version = "/sys/fs/cgroup" + own[""].rstrip("/"), "v2"
    else:
        return None
    cg = os.path.join(parent, f"lambda-bench-probe-{os.getpid()}")
    try:
        os.mkdir(cg)
    except OSError as e:
        log(f"# cgroup probe skipped: {e}")
        return None
    quiet, again = [], []
    try:
        for _ in range(PROBE_COUNT):
            time.sleep(0.3)
            for out in (quiet, again):
                p = spawn(["sleep", "60"], stdin=subprocess.DEVNULL)
                fd = os.open(os.path.join(cg, "cgroup.procs"), os.O_WRONLY)
                t0 = time.perf_counter_ns()
                os.write(fd, str(p.pid).encode())
                out.append((time.perf_counter_ns() - t0) / 1e6)
                os.close(fd)
                p.kill()
                p.wait()
                bs.children.remove(p)
    finally:
        end = time.time() + 5
        while True:
            try:
                os.rmdir(cg)
                break
            except OSError:
                if time.time() > end:
                    log(f"# cannot remove {cg}")
                    break
                time.sleep(0.05)
    return {"cgroup": version, "after_quiet_ms": quiet, "right_after_ms": again}


# ---------------------------------------------------------------- one repetition

def rep_run(rep):
    res = {}
    lport = PORT_BASE + rep % 10
    if not port_free(lport):
        raise RuntimeError(f"port {lport} busy; set PORT_BASE")
    # lighttpd's static file: the ceiling
    lt = Lighttpd(lport, rep)
    try:
        res["static"] = {str(c): wrk(f"rep{rep}-static", f"http://127.0.0.1:{lport}/static.txt", c, False) for c in CONNS}
        for c, r in res["static"].items():
            log(f"#   rep {rep} lighttpd-static c={c:<3} {r['rps']:9.0f} req/s  p50 {r['p50']:.3f} ms  (busy before {r['busy_pct_before']}%)")
    finally:
        lt.stop()

    d = Daemon(rep)
    try:
        check_echo(d, "/lambda")
        res["warm"] = {}
        for c in CONNS:
            r0 = d.max_rowid()
            r = wrk(f"rep{rep}-flint-lambda", f"http://127.0.0.1:{d.port}/lambda", c, True)
            rows = d.wait_ledger("echo-lambda", r0, r["requests"], timeout=10)
            r["ledger_ok"] = sum(1 for x in rows if x[1] == "ok")
            r["ledger_not_ok"] = sum(1 for x in rows if x[1] != "ok")
            r["cold_starts"] = sum(1 for x in rows if x[2])
            r["instances"] = len(handler_pids("echo-lambda"))
            res["warm"][str(c)] = r
            log(f"#   rep {rep} flint-lambda    c={c:<3} {r['rps']:9.0f} req/s  p50 {r['p50']:.3f} ms  cold starts {r['cold_starts']}, "
                f"instances {r['instances']}, ledger ok {r['ledger_ok']} not ok {r['ledger_not_ok']} (busy before {r['busy_pct_before']}%)")
        if EXEC:
            check_echo(d, "/exec")
            res["exec"] = {str(c): wrk(f"rep{rep}-flint-exec", f"http://127.0.0.1:{d.port}/exec", c, True) for c in CONNS}
            for c, r in res["exec"].items():
                log(f"#   rep {rep} flint-exec      c={c:<3} {r['rps']:9.0f} req/s  p50 {r['p50']:.3f} ms (busy before {r['busy_pct_before']}%)")

        # cold starts, bare and Flint alternating
        body = open(BODY, "rb").read().decode()
        event = api_gateway_event(body)
        res["cold"] = {}
        for rt, (name, _, _) in RUNTIMES.items():
            check_deadline()
            b = busy()
            r0 = d.max_rowid()
            bare, flint = [], []
            for i in range(COLD_COUNT):
                check_deadline()
                bare.append(bare_sample(rt, event, os.path.join(RAW, f"rep{rep}-bare-{rt}.log")))
                flint.append(flint_cold_sample(d, rt))
            rows = d.wait_ledger(name, r0, COLD_COUNT * (1 + WARM_PER_COLD))
            cold_rows = [x for x in rows if x[2]]
            res["cold"][rt] = {"busy_pct_before": b, "bare": bare, "flint": flint,
                               "ledger_init_ms": [x[3] / 1e3 for x in cold_rows if x[3] is not None],
                               "ledger_cold_duration_ms": [x[4] / 1e3 for x in cold_rows],
                               "ledger_warm_duration_ms": [x[4] / 1e3 for x in rows if not x[2]],
                               "ledger_cold_starts": len(cold_rows), "ledger_rows": len(rows),
                               "ledger_not_ok": sum(1 for x in rows if x[1] != "ok")}
            c = res["cold"][rt]
            log(f"#   rep {rep} cold {rt:13} bare init p50 {med([x['init_ms'] for x in bare]):.3f} ms, first {med([x['first_ms'] for x in bare]):.3f} ms; "
                f"flint cold e2e p50 {med([x['cold_ms'] for x in flint]):.3f} ms, warm e2e {med([w for x in flint for w in x['warm_ms']]):.3f} ms, "
                f"ledger init {fmt(med(c['ledger_init_ms']), '.3f')} ms ({c['ledger_cold_starts']} cold of {c['ledger_rows']} rows); "
                f"to zero p50 {fmt(med([x['to_zero_s'] for x in flint]), '.3f')} s (busy before {b}%)")
        r0 = d.max_rowid()
        res["quiet_warm"] = quiet_warm_samples(d)
        rows = d.wait_ledger("echo-lambda", r0, COLD_COUNT * (1 + WARM_PER_COLD))
        res["quiet_warm_cold_rows"] = sum(1 for x in rows if x[2])
        log(f"#   rep {rep} quiet warm      after {IDLE_S} s quiet p50 {med([x['quiet_ms'] for x in res['quiet_warm']]):.3f} ms, "
            f"right after p50 {med([w for x in res['quiet_warm'] for w in x['warm_ms']]):.3f} ms "
            f"({res['quiet_warm_cold_rows']} cold starts among them)")
        res["zero_many"] = zero_many(d)
        log(f"#   rep {rep} scale to zero with {res['zero_many']['instances']} instances: {fmt(res['zero_many']['to_zero_s'], '.3f')} s")
        res["daemon_error_lines"] = d.log_count(rb"\b(error|critical)\b")
    finally:
        d.stop()
    res["cgroup_probe"] = cgroup_join_probe()
    if res["cgroup_probe"]:
        pr = res["cgroup_probe"]
        log(f"#   rep {rep} joining a cgroup ({pr['cgroup']}): p50 {med(pr['after_quiet_ms']):.3f} ms after 0.3 s quiet, "
            f"{med(pr['right_after_ms']):.3f} ms right after another")
    return res


# ---------------------------------------------------------------- report









def summarize(res):
    prm = res["meta"]["params"]
    reps = res["reps"]
    conns = [str(c) for c in prm["CONNS"]]
    L = [f"warm instances and cold starts: {res['meta']['when']}, nproc={res['meta']['nproc']}, REPS={len(reps)}, "
         f"DURATION={prm['DURATION']}s, function concurrency {prm['CONCURRENCY']}, flint.yaml concurrency {prm['HOST_CONCURRENCY']}; "
         f"{res['meta']['commit']}", ""]
    L.append("HTTP, 1 KiB: lighttpd static file (GET) vs Flint runtime: lambda (POST, lambda-echo.c, warm) vs Flint exec (same C echo)")
    L.append(f"{'config':16} {'conc':>4} {'req/s (min-max)':>22} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'CPU ms/req':>10} {'busy% max':>9}")
    figures = {}
    for key, label in (("static", "lighttpd-static"), ("warm", "flint-lambda"), ("exec", "flint-exec")):
        for c in conns:
            runs = [r[key][c] for r in reps if key in r and c in r[key]]
            if not runs:
                continue
            figures[(key, c)] = {k: med([x[k] for x in runs]) for k in ("rps", "p50", "p99", "cpu_ms_per_req")}
            L.append(f"{label:16} {c:>4} {fmtr([x['rps'] for x in runs]):>22} {med([x['p50'] for x in runs]):8.3f} "
                     f"{med([x['p99'] for x in runs]):8.3f} {sum(x['errors'] for x in runs):6d} "
                     f"{fmt(figures[(key, c)]['cpu_ms_per_req'], '.3f'):>10} {max(x['busy_pct_before'] for x in runs):9d}")
    L.append("")
    for c in conns:
        s, w, e = figures.get(("static", c)), figures.get(("warm", c)), figures.get(("exec", c))
        if not (s and w):
            continue
        line = (f"c={c}: Flint-warm / lighttpd-static req/s {fmt(ratio(w['rps'], s['rps']), '.2f')} (target >= 0.35), "
                f"CPU ms/req ratio {fmt(ratio(w['cpu_ms_per_req'], s['cpu_ms_per_req']), '.2f')}")
        if e:
            line += f"; exec / lighttpd-static {fmt(ratio(e['rps'], s['rps']), '.2f')}, warm / exec {fmt(ratio(w['rps'], e['rps']), '.2f')}"
        L.append(line)
    cs = [r["warm"][c]["cold_starts"] for r in reps for c in conns if c in r.get("warm", {})]
    nok = [r["warm"][c]["ledger_not_ok"] for r in reps for c in conns if c in r.get("warm", {})]
    L.append(f"warm runs: cold starts in the ledger during the wrk runs {sum(cs)} (instances start in the first run of each "
             f"daemon), invocations not ok {sum(nok)}")
    L.append("")
    L.append(f"Cold start per runtime: {prm['COLD_COUNT']} x {len(reps)} samples each, bare and Flint alternating; ms; "
             f"p99 = nearest rank")
    hdr = (f"{'runtime':38} {'bare init':>10} {'bare first':>10} {'bare warm':>9} {'ledger init':>11} {'cold e2e':>9} "
           f"{'cold p99':>9} {'warm e2e':>8} {'overhead':>8} {'init ovh':>8} {'cold/n':>9}")
    L.append(hdr)
    L.append(f"{'':38} {'p50 (p99)':>10} {'p50 (p99)':>10} {'p50':>9} {'p50 (p99)':>11} {'p50':>9} {'':>9} {'p50':>8} {'p50':>8} {'p50':>8}")
    overheads = {}
    for rt in RUNTIMES:
        cold = [r["cold"][rt] for r in reps if rt in r.get("cold", {})]
        if not cold:
            continue
        bi = [x["init_ms"] for c in cold for x in c["bare"]]
        bf = [x["first_ms"] for c in cold for x in c["bare"]]
        bw = [w for c in cold for x in c["bare"] for w in x["warm_ms"]]
        li = [x for c in cold for x in c["ledger_init_ms"]]
        fc = [x["cold_ms"] for c in cold for x in c["flint"]]
        fw = [w for c in cold for x in c["flint"] for w in x["warm_ms"]]
        ovh = (med(fc) - med(fw)) - (med(bf) - med(bw))
        iovh = med(li) - med(bi) if li else None
        overheads[rt] = (ovh, iovh)
        ncold = sum(c["ledger_cold_starts"] for c in cold)
        nsamples = sum(len(c["flint"]) for c in cold)
        L.append(f"{RUNTIME_LABEL[rt]:38} {med(bi):5.2f} ({pct(bi, .99):.2f}) {med(bf):5.2f} ({pct(bf, .99):.2f}) {med(bw):9.3f} "
                 f"{fmt(med(li), '.2f'):>5} ({fmt(pct(li, .99), '.2f')}) {med(fc):9.3f} {pct(fc, .99):9.3f} {med(fw):8.3f} "
                 f"{ovh:8.3f} {fmt(iovh, '.3f'):>8} {ncold:>4}/{nsamples:<4}")
    L.append("overhead = (Flint cold e2e p50 - Flint warm e2e p50) - (bare first p50 - bare warm p50), target <= 0.5 ms; "
             "init ovh = Flint's ledger init p50 - bare init p50 (spawn -> first GET /next); cold/n = ledger rows with "
             "cold_start / cold samples")
    bad = sum(c["ledger_not_ok"] for r in reps for c in r.get("cold", {}).values())
    L.append(f"ledger rows of the cold-start functions not ok: {bad}")
    qw = [x["quiet_ms"] for r in reps for x in r.get("quiet_warm", [])]
    qb = [w for r in reps for x in r.get("quiet_warm", []) for w in x["warm_ms"]]
    if qw and "c" in overheads:
        cold = [r["cold"]["c"] for r in reps if "c" in r.get("cold", {})]
        fc = med([x["cold_ms"] for c in cold for x in c["flint"]])
        bf = med([x["first_ms"] for c in cold for x in c["bare"]])
        bw = med([w for c in cold for x in c["bare"] for w in x["warm_ms"]])
        qcold = sum(r.get("quiet_warm_cold_rows", 0) for r in reps)
        L.append(f"Quiet warm (C echo, warm instance, its first request after {prm['IDLE_S']} s of quiet, as each cold request is): "
                 f"p50 {med(qw):.3f} ms (p99 {pct(qw, .99):.3f}) against {med(qb):.3f} ms right after; "
                 f"{qcold} of them cold starts in the ledger")
        L.append(f"C overhead against the quiet warm request = (cold e2e p50 - quiet warm p50) - (bare first p50 - bare warm p50) "
                 f"= {(fc - med(qw)) - (bf - bw):.3f} ms: the cold start's own, without waking the idle daemon "
                 f"(the target's overhead above counts both)")
    L.append("")
    L.append(f"Scale to zero (idle: {prm['IDLE_S']}s; from the last response until no process of the function is left; "
             f"target <= idle + 1 s = {prm['IDLE_S'] + 1} s):")
    for rt in RUNTIMES:
        z = [x["to_zero_s"] for r in reps if rt in r.get("cold", {}) for x in r["cold"][rt]["flint"]]
        if z:
            missing = sum(1 for x in z if x is None)
            L.append(f"  {RUNTIME_LABEL[rt]:38} p50 {fmt(med(z), '.3f')} s, max {fmt(max(x for x in z if x is not None), '.3f')} s "
                     f"over {len(z)} samples" + (f"; {missing} still running after idle + 30 s" if missing else ""))
    zm = [r["zero_many"] for r in reps if "zero_many" in r]
    if zm:
        L.append(f"  {'C, several instances at once':38} " + ", ".join(
            f"{x['instances']} instances: {fmt(x['to_zero_s'], '.3f')} s" for x in zm))
    probes = [r["cgroup_probe"] for r in reps if r.get("cgroup_probe")]
    if probes:
        q = [x for p in probes for x in p["after_quiet_ms"]]
        a = [x for p in probes for x in p["right_after_ms"]]
        L.append(f"Joining a cgroup ({probes[0]['cgroup']}: a new process written into cgroup.procs, as Flint's spawn shim does "
                 f"for each instance): p50 {med(q):.3f} ms (max {max(q):.3f}) after 0.3 s without one, p50 {med(a):.3f} ms right "
                 f"after another ({len(q)} each)")
    busy_all = [x["busy_pct_before"] for r in reps for k in ("static", "warm", "exec") for x in r.get(k, {}).values()]
    busy_all += [c["busy_pct_before"] for r in reps for c in r.get("cold", {}).values()]
    L.append(f"busy% before measurements (max): {max(busy_all) if busy_all else 'n/a'}; "
             f"daemon error lines: {sum(r.get('daemon_error_lines', 0) for r in reps)}")
    return "\n".join(L)


def write_results(res):
    text = bs.save_results(OUT, res, summarize(res))
    with open(os.path.join(OUT, "results.tsv"), "w") as f:
        f.write("rep\tconfig\tconc\tmeasure\tvalue\n")
        for i, r in enumerate(res["reps"], 1):
            for key in ("static", "warm", "exec"):
                for c, x in r.get(key, {}).items():
                    for m in ("rps", "p50", "p99", "errors", "cpu_ms_per_req"):
                        f.write(f"{i}\t{key}\t{c}\t{m}\t{x[m]}\n")
            for rt, c in r.get("cold", {}).items():
                for k, xs in (("bare_init_ms", [x["init_ms"] for x in c["bare"]]),
                              ("bare_first_ms", [x["first_ms"] for x in c["bare"]]),
                              ("flint_cold_e2e_ms", [x["cold_ms"] for x in c["flint"]]),
                              ("flint_warm_e2e_ms", [w for x in c["flint"] for w in x["warm_ms"]]),
                              ("ledger_init_ms", c["ledger_init_ms"]),
                              ("to_zero_s", [x["to_zero_s"] for x in c["flint"]])):
                    f.write(f"{i}\tcold-{rt}\t-\t{k}.p50\t{med(xs)}\n")
    return text


# ---------------------------------------------------------------- main

def main():
    os.makedirs(RAW, exist_ok=True)
    build()
    write_project()
    bs.cg_new()
    res = {"meta": {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(), "flint": FLINT,
                    "cpu_accounting": "cgroup" if bs.CG else "none",
                    "lighttpd": subprocess.run(["lighttpd", "-v"], capture_output=True, text=True).stdout.strip(),
                    "params": {"DURATION": DURATION, "CONNS": CONNS, "CONCURRENCY": CONCURRENCY,
                               "HOST_CONCURRENCY": HOST_CONCURRENCY, "COLD_COUNT": COLD_COUNT,
                               "WARM_PER_COLD": WARM_PER_COLD, "IDLE_S": IDLE_S, "EXEC": EXEC, "PROBE_COUNT": PROBE_COUNT},
                    "flint_built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(FLINT))),
                    "commit": subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True,
                                             text=True).stdout.strip()[:100]},
           "reps": []}
    log(f"# lambda: {res['meta']['when']} nproc={os.cpu_count()} reps={REPS} duration={DURATION}s conns={CONNS} "
        f"concurrency={CONCURRENCY} cold_count={COLD_COUNT} idle={IDLE_S}s; flint={FLINT}; cpu accounting: {res['meta']['cpu_accounting']}")
    try:
        for rep in range(1, REPS + 1):
            check_deadline()
            res["reps"].append(rep_run(rep))
            write_results(res)
        log("")
        log(write_results(res))
    finally:
        for p in list(bs.children):
            stop(p)
        remove_nested_cgroups()
        bs.cleanup()


def remove_nested_cgroups():
    """Flint makes its instances' cgroups inside the daemon's own (here the benchmark's CPU
    cgroup, on the cpuacct hierarchy) and removes them when it stops; whatever is left (empty
    directories) goes, deepest first, so that cpu-meter.sh can remove the benchmark's cgroup."""
    if not bs.CG:
        return
    for top, dirs, _ in os.walk(bs.CG, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(top, d))
            except OSError as e:
                log(f"# cannot remove {os.path.join(top, d)}: {e}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "report":
        OUT = os.path.abspath(sys.argv[2])
        print(summarize(json.load(open(os.path.join(OUT, "results.json")))))
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        main()
