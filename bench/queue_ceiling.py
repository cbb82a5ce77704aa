#!/usr/bin/env python3
"""The ceiling of issue 3's "one handler process per message >= 3x huey" target on this machine.

Per round, in the same run: huey-subproc-c (the peers' queue-bench.py, exactly as queue-bench.sh
runs it), Flint's batch-1 end to end (queue_bench.flint_e2e: daemon, queue trigger, concurrency
8), and bench/queue-ceiling.c, the durable design in C (publish, lease, process per message,
settle and metering row; nothing else) in each of MODES with each of CEILING_WORKERS worker
threads: "bare" (vfork + execve), "isolated" (what ../shared/DESIGN.md asks of every handler
process: working directory, session, rlimits, unprivileged user, clean environment) and
"isolated+cgroup" (with an instance cgroup as Flint uses on this machine's cgroup v1; see
bench/ceiling-handler.h). Flint and the ceiling swap places every other round. Every side runs the
peers' static echo-done on 1 KiB bodies and is timed from its done-log: N / (last handler done -
publish start). Ratios are to huey's live end to end of the same round; the summary gives medians
over the rounds and each round's ratio.

Env: ROUNDS(5) N(2000) CEILING_WORKERS("4 8") MODES("bare isolated isolated+cgroup") QUIET_WAIT(0)
     OUT(/tmp/flint-bench/queue-ceiling) and queue_bench.py's (FLINT, PEERS, PEERS_DIR, ...).
~25 s a round on 2 vCPUs.
"""
import os
import statistics as st
import subprocess
import time

os.environ.setdefault("OUT", "/tmp/flint-bench/queue-ceiling")
os.environ.setdefault("QUEUE_PEERS", "huey-subproc-c")
os.environ.setdefault("N", "2000")
import bench_support as bs  # noqa: E402
import queue_bench as qb  # noqa: E402

ROUNDS = bs.env_int("ROUNDS", 5)
WORKERS = [int(w) for w in os.environ.get("CEILING_WORKERS", "4 8").split()]
MODES = os.environ.get("MODES", "bare isolated isolated+cgroup").split()
CEILING = os.path.join(qb.OUT, "bin", "queue-ceiling")


def build_ceiling():
    source = os.path.join(bs.HERE, "queue-ceiling.c")
    subprocess.run(["gcc", "-O2", "-Wall", "-pthread", "-o", CEILING, source, "-lsqlite3"], check=True, timeout=120)


def ceiling(round_, mode, workers):
    """One run of queue-ceiling.c: messages/s as queue_bench counts Flint's, from the done-log."""
    done_log = os.path.join(qb.RAW, f"r{round_}-ceiling-{mode}-w{workers}.done.log")
    if os.path.exists(done_log):
        os.unlink(done_log)
    db = os.path.join(qb.OUT, "ceiling.sqlite")
    busy = bs.busy()
    out = subprocess.run([CEILING, db, str(qb.N), str(workers), str(qb.BODY_BYTES), mode, bs.ECHO_DONE, "x", done_log],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"queue-ceiling failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    fields = dict(item.split("=", 1) for item in out.stdout.split())
    start_ns = int(fields["publish_start_ns"])
    stamps = [int(line.rpartition(b" ")[2]) for line in open(done_log, "rb").read().splitlines()]
    if len(stamps) != qb.N:
        raise SystemExit(f"queue-ceiling: {len(stamps)} handler runs logged for {qb.N} messages")
    rate = qb.N / ((max(stamps) - start_ns) / 1e9)
    bs.log(f"#   round {round_} ceiling {mode} w={workers}: {rate:,.0f} msg/s (publish {fields['publish_s']} s, "
           f"consume {fields['consume_s']} s, done {fields['done']}, cgroups {fields['cgroups']}, busy {busy}%)")
    return {**fields, "mode": mode, "workers": workers, "per_s": round(rate, 1), "busy_pct": busy}


def huey(round_):
    """huey-subproc-c's live end to end, from the peers' queue-bench.py as queue-bench.sh runs it."""
    return {"huey": next(p["live"]["e2e_per_s"] for p in qb.run_peer(round_) if p["peer"] == "huey-subproc-c")}


def flint(round_):
    r = qb.flint_e2e(round_, 1, qb.N)
    if not r["verified"]:
        raise SystemExit(f"flint e2e round {round_} not verified: {r}")
    return {"per_s": r["e2e_per_s"], "cpu_ms_per_msg": r["cpu_ms_per_msg"], "busy_pct": r["busy_pct"]}


def summarize(rounds):
    lines = ["", f"median over {len(rounds)} rounds; ratio = messages/s / huey-subproc-c live end to end of the same round"
             f" (target >= 3); N={qb.N}",
             f"{'side':28} {'msg/s':>8} {'min-max':>15} {'ratio':>6}  per round"]

    def row(name, rates):
        ratios = [rate / r["huey"] for rate, r in zip(rates, rounds)]
        ratio = f"{st.median(ratios):6.2f}" if name != "huey-subproc-c" else f"{'':6}"
        each = "" if name == "huey-subproc-c" else " ".join(f"{x:.2f}" for x in ratios)
        lines.append(f"{name:28} {st.median(rates):8,.0f} {min(rates):7,.0f}-{max(rates):<7,.0f} {ratio}  {each}")

    row("huey-subproc-c", [r["huey"] for r in rounds])
    row("flint (concurrency 8)", [r["flint"]["per_s"] for r in rounds])
    for mode in MODES:
        for w in WORKERS:
            row(f"{mode}, {w} workers", [next(c["per_s"] for c in r["ceiling"] if (c["mode"], c["workers"]) == (mode, w))
                                         for r in rounds])
        row(f"{mode}, best", [max(c["per_s"] for c in r["ceiling"] if c["mode"] == mode) for r in rounds])
    return "\n".join(lines)


def main():
    if not bs.FLINT or not os.access(bs.FLINT, os.X_OK):
        raise SystemExit("no flint binary: swift build -c release --product flint --scratch-path .build-release, or set FLINT=PATH")
    if not os.access(bs.ECHO_DONE, os.X_OK):
        raise SystemExit(f"{bs.ECHO_DONE} missing: run {bs.PEERS}/build-handlers.sh")
    subprocess.run(["rm", "-rf", qb.OUT], check=True)
    os.makedirs(qb.RAW)
    os.makedirs(qb.PROJ)
    os.makedirs(os.path.dirname(CEILING))
    os.chmod(qb.RAW, 0o1777)   # Flint run as root runs handlers as an unprivileged user
    build_ceiling()
    bs.cg_new()
    bs.log(f"# queue ceiling: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} nproc={os.cpu_count()} rounds={ROUNDS} "
           f"N={qb.N} workers={WORKERS} flint={bs.FLINT}")
    bs.ceiling_rounds(qb.OUT, ROUNDS, huey, flint, lambda i: [ceiling(i, m, w) for m in MODES for w in WORKERS],
                      summarize)


if __name__ == "__main__":
    main()
