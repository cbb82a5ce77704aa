#!/usr/bin/env bash
# The ceiling of issue 3's "one handler process per message >= 3x huey" target on this machine:
# huey-subproc-c (the peers' queue-bench.py), Flint's batch-1 end to end and bench/queue-ceiling.c
# (the durable design in C with nothing else: bare, with DESIGN.md's isolation, and with an
# instance cgroup too) in the same rounds, with ratios to huey. Details in bench/queue_ceiling.py.
# ~25 s a round on 2 vCPUs; results in /tmp/flint-bench/queue-ceiling/ (summary.txt, rounds.json).
# Env (CEILING_WORKERS, not WORKERS: the peer reads that):
#      ROUNDS(5) N(2000) CEILING_WORKERS("4 8") MODES("bare isolated isolated+cgroup") OUT QUIET_WAIT(0)
#      FLINT(.build-release/release/flint, else .build/release/flint) PEERS PEERS_DIR DEADLINE_S(3600)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export OUT="${OUT:-/tmp/flint-bench/queue-ceiling}"
DEADLINE_S="${DEADLINE_S:-3600}"; export DEADLINE_S
source "$HERE/bench-common.sh"   # ROOT, PEERS, PEERS_DIR, FLINT; need_tools, need_flint, run_driver
need_peers build-handlers.sh queue-bench.py
need_tools "sqlite3 python3 gcc libc6-dev" sqlite3 python3 gcc
need_headers sqlite3.h:libsqlite3-dev
need_flint
python3 -c 'import huey' 2>/dev/null || { echo "huey missing for $(command -v python3): python3 -m pip install huey" >&2; exit 1; }
"$PEERS/build-handlers.sh" >/dev/null

# The driver stops its own children (daemons, the peer) by PID on exit; timeout bounds it.
run_driver queue_ceiling.py
