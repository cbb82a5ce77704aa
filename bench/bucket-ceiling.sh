#!/usr/bin/env bash
# The ceiling of issue 4's targets (burst >= 2x the inotifywait+bash loop, close -> handler start
# p50 <= 1 ms) on this machine: the peer, Flint and bench/bucket-ceiling.c (the mandated bucket
# path in C with nothing else: bare, with DESIGN.md's isolation, and with an instance cgroup too)
# in the same rounds. Details in bench/bucket_ceiling.py. ~40 s a round on 2 vCPUs; results in
# /tmp/flint-bench/bucket-ceiling/ (summary.txt, rounds.json, raw/).
# Env: ROUNDS(5) N(2000) LAT_COUNT(100) MODES("bare isolated isolated+cgroup") CEILING_WORKERS(8) OUT
#      QUIET_WAIT(0) FLINT(.build-release/release/flint, else .build/release/flint) PEERS PEERS_DIR
#      DEADLINE_S(1800)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT="${OUT:-/tmp/flint-bench/bucket-ceiling}"
DEADLINE_S="${DEADLINE_S:-1800}"; export DEADLINE_S
source "$HERE/bench-common.sh"   # ROOT, PEERS, PEERS_DIR, FLINT; need_tools, need_flint, run_driver
need_peers build-handlers.sh fs-bench.sh fs_driver.py
need_tools "inotify-tools python3 gcc libc6-dev" inotifywait python3 gcc
need_headers sqlite3.h:libsqlite3-dev openssl/evp.h:libssl-dev
need_flint
"$PEERS/build-handlers.sh" >/dev/null

# The driver stops its own children (daemons, the peer, the ceiling) by PID on exit; timeout bounds it.
run_driver bucket_ceiling.py
