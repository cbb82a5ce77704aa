#!/usr/bin/env bash
# Warm instances and cold starts (issue 5): Flint's `runtime: lambda` beside lighttpd serving a
# static file (the no-spawn ceiling), and beside the same handlers spawned bare, in the same run.
#   warm        HTTP trigger, POST 1 KiB, to a `runtime: lambda` function whose handler is
#               bench/lambda-echo.c (gcc -O2: the Runtime API over one keep-alive connection, the
#               event echoed), function concurrency 8, flint.yaml concurrency 64; wrk --latency
#               -d $DURATION at c = 1, 8, 64 (-t1 for c=1, else -t2) beside lighttpd serving a
#               1 KiB static file (GET, the peers' http-bench.sh configuration) with the same wrk
#               settings; and the same C echo as a `runtime: exec` function (one process per
#               request), for context
#   cold start  per runtime (C, a plain Python Runtime API loop, awslambdaric with
#               samples/python-lambda's app): Flint's cold invocation against spawning the same
#               handler bare (posix_spawn, Flint's environment) against a minimal Runtime API server
#               in the driver; overhead = (Flint cold - warm, end to end) - (bare first answer -
#               bare warm answer), and Flint's ledger init against bare spawn -> first GET /next
#   quiet       the warm C echo's first request after 1 s of quiet, against the ones right after:
#               what waking the idle daemon costs a request that starts nothing (the C overhead
#               against it is the cold start's own)
#   zero        with `idle: 1s`: last response -> no process of the function left (from /proc)
#   cgroup      what writing a new process into a cgroup costs (the memory hierarchy on v1), after
#               0.3 s without one and right after one: what an isolated cold start pays for it
# Details in bench/lambda_bench.py's docstring. Prints req/s, p50/p99, CPU ms/request (a private
# cgroup: the peers' cpu-meter.sh), the Flint-warm/lighttpd-static ratio (target >= 0.35), cold
# start p50/p99 and overheads (target <= 0.5 ms) and scale-to-zero times (target <= idle + 1 s);
# saves /tmp/flint-bench/lambda/ results.json, results.tsv, summary.txt and raw files. ~10 min
# with the defaults on 2 vCPUs. Only 127.0.0.1; every process started is stopped by PID (servers
# and handlers by the python driver, the driver by the trap of bench/bench-common.sh); a deadline
# bounds the whole run.
# Env: REPS(3) DURATION(10) CONNS("1 8 64") CONCURRENCY(8) HOST_CONCURRENCY(64) EXEC(1)
#      COLD_COUNT(20) WARM_PER_COLD(5) IDLE_S(1) PROBE_COUNT(10) PORT_BASE(28680) QUIET_WAIT(0)
#      OUT(/tmp/flint-bench/lambda) PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers)
#      DEADLINE_S(2400) FLINT(.build-release/release/flint, else .build/release/flint)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT="${OUT:-/tmp/flint-bench/lambda}"
DEADLINE_S="${DEADLINE_S:-2400}"; export DEADLINE_S
source "$HERE/bench-common.sh"   # ROOT, PEERS, PEERS_DIR, FLINT; need_tools, need_flint, run_driver
need_peers cpu-meter.sh wait-quiet.sh
need_tools "wrk lighttpd gcc libc6-dev python3" wrk lighttpd gcc /usr/bin/python3
need_flint
[[ -d "$ROOT/samples/python-lambda/vendor/awslambdaric" ]] \
  || { echo "awslambdaric is not vendored in samples/python-lambda: make python-lambda-deps" >&2; exit 1; }

# The driver stops its own children (lighttpd, the daemon, bare handlers) by PID on exit.
run_driver lambda_bench.py
