#!/usr/bin/env bash
# Queue trigger: Flint's SQLite message bus beside huey (SqliteHuey, consumer -w 2 -k thread), the
# queue peer of ../shared/bench/peers, in the same run: per repetition the peer first
# (queue-bench.py with PEERS="huey-subproc-c huey-inproc"), then Flint. Same static C handler
# (echo-done: echoes stdin, appends "TAG <ns>" to a done-log), same 1 KiB bodies.
# Measures (details in bench/queue_bench.py's docstring):
#   publish msg/s   plain SQL INSERT into the project's database, one per commit (synchronous
#                   NORMAL and FULL) and 100 per commit; HTTP POST /v1/topics/T/messages with wrk,
#                   one message or a list of 100 per request
#   end to end      daemon + queue trigger batch 1 (one handler process per message, N=5000) and
#                   batch 10 (N=50000): N / (last handler done - publish start); ledger and
#                   deliveries checked
#   latency         idle daemon, 200 single messages 20 ms apart: publish -> handler start (its
#                   main()) and -> handler done, p50/p99
#   claim cost      the claim transaction of Sources/FlintStore/Bus/Bus+Claim.swift (SQL read from
#                   the file) with 1k and 1M messages waiting, rolled back: us per claim, ratio
#   memory          daemon RSS 2 s and 10 s after start with 1M and with 1k messages waiting
# Prints a summary with medians (min-max) and Flint/huey ratios; saves /tmp/flint-bench/queue/
# results.json, results.tsv, summary.txt and raw files. ~10 min with the defaults on 2 vCPUs.
# Only 127.0.0.1; every process started is stopped by PID (daemons by the python driver, the
# driver by the trap of bench/bench-common.sh); a deadline bounds the whole run.
# Env: REPS(3) N(5000) N_PUBLISH(20000) N_PUBLISH_FULL(5000) PUBLISH_BATCH(100) N_BATCH(50000)
#      DURATION(5) WRK_CONNS("1 8") LAT_COUNT(200) LAT_GAP(0.02) CLAIM_SMALL(1000)
#      CLAIM_BIG(1000000) CLAIMS(2000) RSS_AT("2 10") QUEUE_PEERS("huey-subproc-c huey-inproc")
#      PEER_LAT_COUNT(30) PEER_LAT_GAP(0.1) SKIP_PEER(0) QUIET_WAIT(0) OUT(/tmp/flint-bench/queue)
#      PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers) DEADLINE_S(3600)
#      FLINT(.build-release/release/flint, else .build/release/flint)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT="${OUT:-/tmp/flint-bench/queue}"
DEADLINE_S="${DEADLINE_S:-3600}"; export DEADLINE_S
source "$HERE/bench-common.sh"   # ROOT, PEERS, PEERS_DIR, FLINT; need_tools, need_flint, run_driver
need_peers build-handlers.sh queue-bench.py
need_tools "wrk sqlite3 python3 gcc libc6-dev" wrk sqlite3 python3 gcc
need_flint
if [[ "${SKIP_PEER:-0}" != 1 ]] && ! python3 -c 'import huey' 2>/dev/null; then
  echo "huey missing for $(command -v python3): python3 -m pip install huey (or SKIP_PEER=1)" >&2; exit 1
fi
"$PEERS/build-handlers.sh" >/dev/null

# The driver stops its own children (daemons, wrk, the peer) by PID on exit; timeout bounds it.
run_driver queue_bench.py
