"""What bench/queue_bench.py and bench/bucket_driver.py share: the environment both read (PEERS,
PEERS_DIR, FLINT, QUIET_WAIT, SKIP_PEER), the processes they start (every one stopped by PID on
exit), the deadline, the busy gauge (the peers' wait-quiet.sh) and the CPU cgroup of the serving
side (the peers' cpu-meter.sh). Imported by those drivers (bench/ is their sys.path[0])."""
import json, os, signal, statistics as st, subprocess, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENV = os.environ.get


def env_int(name, default):
    return int(ENV(name, str(default)))


SKIP_PEER = ENV("SKIP_PEER", "0") == "1"
QUIET_WAIT = ENV("QUIET_WAIT", "0")
PEERS = os.path.abspath(ENV("PEERS", os.path.join(ROOT, "..", "shared", "bench", "peers")))
PEERS_DIR = ENV("PEERS_DIR", "/tmp/peers")
FLINT = ENV("FLINT") or next((p for p in (os.path.join(ROOT, ".build-release/release/flint"),
                                          os.path.join(ROOT, ".build/release/flint")) if os.access(p, os.X_OK)), "")
BIN = os.path.join(PEERS_DIR, "bin")
ECHO_DONE = os.path.join(BIN, "echo-done")
CPU_METER = os.path.join(PEERS, "cpu-meter.sh")


def build_echo_done_variant(out, flags=()):
    """bench/echo-done-variants.c (the peers' echo-done.c, compiled unchanged) as the static
    binary `out`; `flags` picks the variant (none: echo-done-start, which also logs its start)."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-I", os.path.join(PEERS, "handlers"), *flags, "-o", out,
                    os.path.join(HERE, "echo-done-variants.c")], check=True, timeout=120)

children = []          # every process we start; stopped by PID on exit
CG = None              # private cgroup for the daemon and its handlers (peers' cpu-meter.sh)
NAME, DEADLINE = "bench", None


def set_deadline(name, default_s):
    """The run ends DEADLINE_S (default_s when unset) seconds from now; check_deadline() then
    stops it with a message that starts with `name`. Returns the deadline (time.time() units)."""
    global NAME, DEADLINE
    NAME, DEADLINE = name, time.time() + env_int("DEADLINE_S", default_s)
    return DEADLINE


def log(*a):
    print(*a, flush=True)


def check_deadline():
    if time.time() > DEADLINE:
        raise SystemExit(f"{NAME}: deadline reached (DEADLINE_S)")


# ---------------------------------------------------------------- processes

def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    children.append(p)
    return p


def stop(p, timeout=30):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in children:
        children.remove(p)


def busy():
    r = subprocess.run([os.path.join(PEERS, "wait-quiet.sh"), QUIET_WAIT], capture_output=True, text=True, timeout=600)
    return int(r.stdout.strip() or -1)


# ---------------------------------------------------------------- CPU cgroup

def cg_new():
    """A private cgroup (cpu-meter.sh new), or None where cgroups are unusable; sets CG."""
    global CG
    r = subprocess.run([CPU_METER, "new"], capture_output=True, text=True)
    CG = (r.stdout.strip() or None) if r.returncode == 0 else None
    return CG


def cg_cpu():
    if not CG:
        return None
    return float(subprocess.run([CPU_METER, "read", CG], capture_output=True, text=True).stdout)


def in_cgroup(cmd):
    return [CPU_METER, "join", CG] + cmd if CG else cmd


def cleanup(timeout=30):
    """On exit: stops every process still running (by PID), then removes the cgroup."""
    for p in list(children):
        stop(p, timeout=timeout)
    if CG:
        subprocess.run([CPU_METER, "rm", CG])


# ---------------------------------------------------------------- logs written by the handlers

class LineTail:
    """Incremental reader of a log that others append to (echo-done's "TAG <CLOCK_REALTIME ns>"
    lines): read_lines() returns the complete lines added since the last call, none while the
    file does not exist."""

    def __init__(self, path):
        self.path, self.off, self.buf = path, 0, b""

    def read_lines(self):
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.off)
                data = fh.read()
        except FileNotFoundError:
            return []
        self.off += len(data)
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return lines


# ---------------------------------------------------------------- summaries

def med(xs):
    xs = [x for x in xs if x is not None]
    return st.median(xs) if xs else None


def pct(xs, f):
    """The f-quantile (0..1) of xs by nearest rank, Nones left out; None when empty."""
    s = sorted(x for x in xs if x is not None)
    return s[min(len(s) - 1, int(f * len(s)))] if s else None


def fmt(x, spec=",.0f"):
    return "n/a" if x is None else format(x, spec)


def fmtr(xs, spec=",.0f"):
    """Median, with (min-max) when there are several repetitions."""
    xs = [x for x in xs if x is not None]
    if len(xs) < 2:
        return fmt(med(xs), spec)
    return f"{format(med(xs), spec)} ({format(min(xs), spec)}-{format(max(xs), spec)})"


def ratio(a, b):
    """a / b, or None when either is missing (b of 0 included); fmt(ratio(a, b), ".2f") prints it."""
    return a / b if a is not None and b else None


def save_results(out, res, text):
    """Writes OUT/results.json (everything measured) and OUT/summary.txt (the printed table);
    returns the text. Each driver adds its own results.tsv."""
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    return text


def ceiling_rounds(out, rounds, peer, flint, ceiling, summarize):
    """The rounds of a ceiling benchmark (queue_ceiling.py, bucket_ceiling.py): per round the
    peer (its dict is merged into the round's), then Flint and the ceiling, which swap places
    every other round. Saves OUT/rounds.json after each round and stops every process started;
    then prints the summary and saves it as OUT/summary.txt."""
    results = []
    try:
        for i in range(1, rounds + 1):
            check_deadline()
            r = {"round": i, **peer(i)}
            sides = [lambda: r.__setitem__("flint", flint(i)), lambda: r.__setitem__("ceiling", ceiling(i))]
            for side in (sides if i % 2 else sides[::-1]):
                side()
            results.append(r)
            json.dump(results, open(os.path.join(out, "rounds.json"), "w"), indent=1)
    finally:
        cleanup()
    text = summarize(results)
    print(text)
    open(os.path.join(out, "summary.txt"), "w").write(text + "\n")
