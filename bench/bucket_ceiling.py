#!/usr/bin/env python3
"""The ceiling of issue 4's targets on this machine: burst >= 2x the inotifywait+bash loop, and
close -> handler start p50 <= 1 ms.

Per round, in the same run: the peer (the peers' fs-bench.sh with PEERS=inotify-c for the N-file
burst, and the same loop running echo-done-start for LAT_COUNT single files, exactly as
bucket_driver.py runs them), Flint (one daemon, a bucket trigger per workload, concurrency 8: the
same burst and single files), and bench/bucket-ceiling.c, the mandated bucket path in C with
nothing else (inotify, index row with MD5, message and delivery committed before the handler
starts, leases only for what a free worker starts, a process per file, settlement and metering
row), with 8 workers in each of MODES: "bare" (vfork + execve), "isolated" (what
../shared/DESIGN.md asks of every handler process) and "isolated+cgroup" (with an instance cgroup
as Flint uses on this machine; see bench/ceiling-handler.h). Flint and the ceiling swap places every other round. The peer and the
ceiling run echo-done (burst) or echo-done-start (single files), Flint the same main() compiled
to take its tag from FLINT_OBJECT_PATH (bucket_driver.py's flint-echo-done); all are timed from
those logs, as bucket_driver.py times them. Ratios are to the peer's burst of the same round.

Env: ROUNDS(5) N(2000) LAT_COUNT(100) MODES("bare isolated isolated+cgroup") CEILING_WORKERS(8)
     OUT(/tmp/flint-bench/bucket-ceiling) and bucket_driver.py's (FLINT, PEERS, PEERS_DIR, ...).
~40 s a round on 2 vCPUs.
"""
import os
import signal
import statistics as st
import subprocess
import sys
import time

os.environ.setdefault("OUT", "/tmp/flint-bench/bucket-ceiling")
os.environ.setdefault("LAT_COUNT", "100")
import bench_support as bs  # noqa: E402
import bucket_driver as bd  # noqa: E402

ROUNDS = bs.env_int("ROUNDS", 5)
WORKERS = bs.env_int("CEILING_WORKERS", 8)
MODES = os.environ.get("MODES", "bare isolated isolated+cgroup").split()
CEILING = os.path.join(bd.HBIN, "bucket-ceiling")


def build_ceiling():
    source = os.path.join(bs.HERE, "bucket-ceiling.c")
    subprocess.run(["gcc", "-O2", "-Wall", "-pthread", "-o", CEILING, source, "-lsqlite3", "-lcrypto"], check=True,
                   timeout=120)


def fresh(path):
    subprocess.run(["rm", "-rf", path], check=True)
    os.makedirs(path)
    os.chmod(path, 0o777)   # an isolated handler runs as 65534
    return path


def ceiling_process(name, mode, handler):
    """bucket-ceiling watching a fresh directory; returns (process, directory) once it handles files."""
    R = fresh(os.path.join(bd.RAW, name))
    W = fresh(os.path.join(R, "watch"))
    err = open(os.path.join(R, "stderr"), "w")
    p = bs.spawn([CEILING, os.path.join(R, "db.sqlite"), W, str(WORKERS), mode, *handler(R)], stderr=err,
                 stdout=open(os.path.join(R, "stdout"), "w"))
    probe_log = os.path.join(R, "done.log")
    if subprocess.run(["/usr/bin/python3", bd.FS_DRIVER, "ready", W, probe_log, "20"], timeout=30).returncode != 0:
        raise SystemExit(f"bucket-ceiling ({mode}) did not run a handler within 20 s; see {err.name}")
    return p, R, W


def ceiling_stop(p, R):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    bs.children.remove(p)
    out = open(os.path.join(R, "stdout")).read().strip()
    if p.returncode != 0:
        raise SystemExit(f"bucket-ceiling exited {p.returncode} ({out}); see {R}/stderr")
    return out


def ceiling(round_, mode):
    res = {"mode": mode}
    p, R, W = ceiling_process(f"r{round_}-ceiling-{mode}-burst", mode,
                              lambda R: [bs.ECHO_DONE, os.path.join(R, "done.log")])
    try:
        res["busy_pct"] = bs.busy()
        res["burst"] = bd.burst(W, os.path.join(R, "done.log"), bd.N, 300, 20)
        # The ceiling runs outside the benchmark's CPU cgroup (its isolated+cgroup form moves its
        # workers into cgroups of their own): what bd.burst read there is not its CPU.
        res["burst"].pop("cpu_ms_per_file", None)
    finally:
        res["burst_counts"] = ceiling_stop(p, R)
    p, R, W = ceiling_process(f"r{round_}-ceiling-{mode}-latency", mode,
                              lambda R: [bd.EDS, os.path.join(R, "done.log"), os.path.join(R, "start.log")])
    try:
        res["latency"] = bd.close_latency(W, os.path.join(R, "done.log"), os.path.join(R, "start.log"), bd.LAT_COUNT, "l")
        res["latency"].pop("per_file")
    finally:
        res["latency_counts"] = ceiling_stop(p, R)
    bs.log(f"#   round {round_} ceiling {mode}: burst {res['burst']['files_per_s']:,.0f} files/s "
           f"(lost {res['burst']['lost']}), close -> start p50 {res['latency']['close_to_start_ms']['p50']} ms; "
           f"{res['burst_counts']}; busy {res['busy_pct']}%")
    return res


def flint(round_):
    P = os.path.join(bd.OUT, "projects", f"r{round_}-flint")
    logs = {k: os.path.join(bd.RAW, f"r{round_}-flint-{k}.log") for k in ("burst", "lat-done", "lat-start")}
    for f in logs.values():
        if os.path.exists(f):
            os.unlink(f)
    bd.write_project(P, {"echo": [bd.FED, logs["burst"]], "echo-lat": [bd.FED, logs["lat-done"], logs["lat-start"]]},
                     {"burst": ("echo", "burst", None), "lat": ("echo-lat", "lat", None)})
    d = bd.Daemon(P, f"r{round_}-flint")
    con = bd.connect(P)
    res = {}
    try:
        probes = {}
        for bucket, log in (("burst", logs["burst"]), ("lat", logs["lat-done"])):
            W = os.path.join(P, "buckets", bucket)
            if subprocess.run(["/usr/bin/python3", bd.FS_DRIVER, "ready", W, log, "20"], timeout=30).returncode != 0:
                raise SystemExit(f"Flint did not run the handler of bucket {bucket} within 20 s; see {d.err_path}")
            probes[bucket] = len([f for f in os.listdir(W) if f.startswith("p")])
        res["busy_pct"] = bs.busy()
        res["burst"] = bd.burst(os.path.join(P, "buckets", "burst"), logs["burst"], bd.N, 300, 20)
        res["latency"] = bd.close_latency(os.path.join(P, "buckets", "lat"), logs["lat-done"], logs["lat-start"],
                                          bd.LAT_COUNT, "l")
        res["latency"].pop("per_file")
        res["checks"] = {"burst": bd.bus_check(con, "burst", "echo", probes["burst"] + bd.N),
                         "lat": bd.bus_check(con, "lat", "echo-lat", probes["lat"] + bd.LAT_COUNT)}
    finally:
        con.close()
        d.stop()
    if not all(c["ok"] for c in res["checks"].values()):
        raise SystemExit(f"Flint round {round_}: the bus or the ledger does not match the files: {res['checks']}")
    bs.log(f"#   round {round_} flint: burst {res['burst']['files_per_s']:,.0f} files/s (lost {res['burst']['lost']}), "
           f"close -> start p50 {res['latency']['close_to_start_ms']['p50']} ms; busy {res['busy_pct']}%")
    return res


def peer(round_):
    burst = bd.fs_bench(f"r{round_}-peer", bd.N, 5)["batch"]
    latency = bd.peer_close_latency(round_)
    bs.log(f"#   round {round_} peer: burst {burst['files_per_s']:,.0f} files/s (lost {burst['lost']}), "
           f"close -> start p50 {latency['close_to_start_ms']['p50']} ms")
    return {"burst": burst, "latency": latency}


def summarize(rounds):
    lines = ["", f"median over {len(rounds)} rounds; N={bd.N}, {bd.LAT_COUNT} single files; ratio = burst files/s / the "
                 f"peer's of the same round (target >= 2); close -> handler start p50 (target <= 1 ms)",
             "writer s: how long the benchmark's own writer took to write the burst's files, as they compete for",
             "the same CPUs (a burst cannot end before its last file is written)",
             f"{'side':26} {'files/s':>8} {'min-max':>15} {'ratio':>6} {'per round':>30} {'writer s':>9}  {'start p50':>9} "
             f"{'per round':>30}"]

    def row(name, sides):
        rates = [s["burst"]["files_per_s"] for s in sides]
        ratios = [s["burst"]["files_per_s"] / r["peer"]["burst"]["files_per_s"] for s, r in zip(sides, rounds)]
        starts = [s["latency"]["close_to_start_ms"]["p50"] for s in sides]
        writes = [s["burst"]["write_s"] for s in sides]
        lines.append(f"{name:26} {st.median(rates):8,.0f} {min(rates):7,.0f}-{max(rates):<7,.0f} {st.median(ratios):6.2f} "
                     f"{' '.join(f'{x:.2f}' for x in ratios):>30} {st.median(writes):9.2f}  {st.median(starts):9.3f} "
                     f"{' '.join(f'{x:.2f}' for x in starts):>30}")

    row("inotifywait + bash loop", [r["peer"] for r in rounds])
    row("flint (concurrency 8)", [r["flint"] for r in rounds])
    for mode in MODES:
        row(f"ceiling {mode}", [next(c for c in r["ceiling"] if c["mode"] == mode) for r in rounds])
    return "\n".join(lines)


def main():
    if not bs.FLINT or not os.access(bs.FLINT, os.X_OK):
        raise SystemExit("no flint binary: swift build -c release --product flint --scratch-path .build-release, or set FLINT=PATH")
    subprocess.run(["rm", "-rf", bd.OUT], check=True)
    os.makedirs(bd.RAW)
    os.chmod(bd.RAW, 0o1777)   # handlers run as an unprivileged user append to done-logs here
    bd.build_handlers()
    build_ceiling()
    bs.cg_new()
    bs.log(f"# bucket ceiling: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} nproc={os.cpu_count()} rounds={ROUNDS} "
           f"N={bd.N} lat_count={bd.LAT_COUNT} workers={WORKERS} modes={MODES} flint={bs.FLINT}")
    bs.ceiling_rounds(bd.OUT, ROUNDS, lambda i: {"peer": peer(i)}, flint, lambda i: [ceiling(i, m) for m in MODES],
                      summarize)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
