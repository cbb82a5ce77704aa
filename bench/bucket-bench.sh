#!/usr/bin/env bash
# Bucket triggers: Flint's bucket watcher beside the inotifywait+bash loop peer of
# ../shared/bench/peers (inotify-c of its fs-bench.sh), in the same run, with the same C handler
# (the peers' echo-done.c: echoes stdin, appends "TAG <ns>" to a done-log). Per repetition the
# peer first (fs-bench.sh with PEERS=inotify-c), then Flint; then Flint's start-up scan.
# Measures (details in bench/bucket_driver.py's docstring):
#   burst       N=2000 files of 1 KiB written as fast as one python loop can (the peers'
#               fs_driver.py): files/s = handled / (last handler timestamp - first write), lost;
#               also through an exec wrapper running the peers' very echo-done binary
#   big burst   N_BIG=20000 files: lost (Flint must lose none: every file one bus message, one
#               delivery done, one ok invocation, checked in SQLite)
#   latency     single files, one at a time: close -> handler start (a timestamp taken on entry to
#               the handler's main) and close -> handler done (echo-done's own timestamp)
#   scan        restart on a bucket of 100,000 unchanged objects: spawn -> ready (daemon.json), and
#               spawn -> the scan's last commit (one new file whose key sorts last: its event)
# Flint's function: concurrency 8 (CONCURRENCY). Prints a table with Flint/peer ratios and saves
# /tmp/flint-bench/bucket/ results.json, results.tsv, summary.txt and raw files. ~4 min with the
# defaults on 2 vCPUs (up to ~10 with QUIET_WAIT=30 on a busy machine). Every process started is
# stopped by PID; a deadline bounds the whole run.
# Env: REPS(3) N(2000) N_BIG(20000) SIZE(1024) LAT_COUNT(200) LAT_GAP(0.05) LAT_POLL(0.0005)
#      PEER_LAT_COUNT(50) CONCURRENCY(8) SCAN_OBJECTS(100000) SCAN_SIZE(64) SCAN_REPS(3)
#      SCAN_KEEP(0) WRAPPER(1) SPAWN_SECONDS(3) SKIP_PEER(0) QUIET_WAIT(0) OUT(/tmp/flint-bench/bucket)
#      PEERS(../shared/bench/peers) PEERS_DIR(/tmp/peers) DEADLINE_S(1800)
#      FLINT(.build-release/release/flint, else .build/release/flint)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT="${OUT:-/tmp/flint-bench/bucket}"
DEADLINE_S="${DEADLINE_S:-1800}"; export DEADLINE_S
source "$HERE/bench-common.sh"   # ROOT, PEERS, PEERS_DIR, FLINT; need_tools, need_flint, run_driver
need_peers build-handlers.sh fs-bench.sh fs_driver.py
need_tools "inotify-tools python3 gcc libc6-dev" inotifywait python3 gcc
need_flint

# The driver stops its own children (daemons, the peer's loop) by PID on exit; timeout bounds it.
run_driver bucket_driver.py
