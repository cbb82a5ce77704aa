#!/usr/bin/env python3
"""Summarises bench/http-bench.sh's raw wrk outputs: medians over reps, and Flint/lighttpd ratios."""
import glob, os, re, statistics, sys

out, conns = sys.argv[1], sys.argv[2].split()
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def latency(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * UNIT[m.group(2)]


def parse(path):
    t = open(path).read()
    r = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))}
    for p in ("50", "99"):
        r["p" + p] = latency(re.search(r"^\s+%s%%\s+(\S+)" % p, t, re.M).group(1))
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    n = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    r["err"] = (sum(map(int, e.groups())) if e else 0) + (int(n.group(1)) if n else 0)
    requests = int(re.search(r"(\d+) requests in", t).group(1))
    r["requests"] = requests
    r["cpu"] = float(re.search(r"server_cpu_s (-?[\d.]+)", t).group(1)) * 1e3 / max(requests, 1)
    h = re.search(r"handler_duration_p50_us (\d+)", t)
    r["handler_ms"] = int(h.group(1)) / 1e3 if h else None
    rows = re.search(r"ledger_rows (\d+)", t)
    r["ledger"] = int(rows.group(1)) if rows else None
    return r


summary = {}
print(f"\n{'config':13} {'conc':>4} {'req/s':>9} {'req/s min-max':>16} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'cpu ms/req':>10}")
for cfg in ("flint", "lighttpd-cgi"):
    for c in conns:
        runs = [parse(f) for f in sorted(glob.glob(os.path.join(out, f"rep*-{cfg}-c{c}.txt")))]
        if not runs:
            continue
        med = lambda k: statistics.median(r[k] for r in runs)
        rps = [r["rps"] for r in runs]
        summary[(cfg, c)] = {k: med(k) for k in ("rps", "p50", "p99", "cpu")}
        summary[(cfg, c)]["runs"] = runs
        print(f"{cfg:13} {c:>4} {med('rps'):9.0f} {min(rps):7.0f}-{max(rps):<8.0f} {med('p50'):8.2f} {med('p99'):8.2f} "
              f"{sum(r['err'] for r in runs):6d} {med('cpu'):10.3f}")

print(f"\n{'conc':>4} {'flint/lighttpd req/s':>21} {'cpu ratio':>10}")
for c in conns:
    f, l = summary.get(("flint", c)), summary.get(("lighttpd-cgi", c))
    if f and l:
        print(f"{c:>4} {f['rps'] / l['rps']:21.2f} {f['cpu'] / l['cpu']:10.2f}")

one = summary.get(("flint", "1"))
if one:
    handler = statistics.median(r["handler_ms"] for r in one["runs"] if r["handler_ms"] is not None)
    print(f"\nflint overhead at c=1: wrk p50 {one['p50']:.3f} ms - handler spawn-to-exit p50 {handler:.3f} ms = {one['p50'] - handler:.3f} ms"
          " (includes wrk and loopback; an upper bound)")
    for r in one["runs"]:
        if r["ledger"] is not None and r["ledger"] < r["requests"]:
            print(f"WARNING: ledger has {r['ledger']} ok rows for {r['requests']} requests")
for name in ("idle-before.txt", "idle-after.txt"):
    path = os.path.join(out, name)
    if os.path.exists(path):
        print(f"{name[:-4]}: {open(path).read().strip()}")
