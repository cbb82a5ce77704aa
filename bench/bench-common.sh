# Sourced by bench/{queue,bucket,lambda}-bench.sh and bench/{queue,bucket}-ceiling.sh (after
# `set -euo pipefail` and HERE=their directory): the environment their python drivers read
# (PEERS, PEERS_DIR, FLINT), the checks of the tools and headers they need, and the run of the
# driver, stopped by PID on exit.
ROOT="$(cd "$HERE/.." && pwd)"
export PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
export PEERS_DIR="${PEERS_DIR:-/tmp/peers}"
if [[ -z "${FLINT:-}" ]]; then
  for f in "$ROOT/.build-release/release/flint" "$ROOT/.build/release/flint"; do
    [[ -x "$f" ]] && { FLINT="$f"; break; }
  done
fi
export FLINT="${FLINT:-}"

# need_tools "PACKAGES" TOOL...: exits 1 at the first TOOL not on PATH (apt-get install PACKAGES).
need_tools() {
  local pkgs="$1" t; shift
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "missing $t: apt-get install -y $pkgs" >&2; exit 1; }
  done
}

# need_headers HEADER:PACKAGE...: exits 1 at the first C header missing from /usr/include
# (apt-get install PACKAGE), for the benchmarks that compile C against a library.
need_headers() {
  local h
  for h in "$@"; do
    [[ -f /usr/include/${h%%:*} ]] || { echo "missing ${h%%:*}: apt-get install -y ${h#*:}" >&2; exit 1; }
  done
}

# need_peers FILE...: exits 1 unless each FILE is in $PEERS (the peers' benchmarks), a *.sh one
# executable.
need_peers() {
  local f
  for f in "$@"; do
    if [[ "$f" == *.sh ]]; then [[ -x "$PEERS/$f" ]]; else [[ -f "$PEERS/$f" ]]; fi \
      || { echo "peer benchmarks not found at $PEERS (no $f); set PEERS=DIR" >&2; exit 1; }
  done
}

need_flint() {
  [[ -x "$FLINT" ]] || { echo "no flint binary (FLINT=$FLINT): swift build -c release --product flint --scratch-path .build-release" >&2; exit 1; }
}

PY_PID=""
stop_driver() {
  [[ -n "$PY_PID" ]] || return 0
  kill -TERM "$PY_PID" 2>/dev/null || return 0
  local i; for i in $(seq 150); do kill -0 "$PY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PY_PID" 2>/dev/null || true
  wait "$PY_PID" 2>/dev/null || true
}

# run_driver DRIVER.py: `python3 bench/DRIVER.py run`, bounded by DEADLINE_S + 120 s; exits with
# its status. The driver stops its own children by PID on exit; the trap stops the driver.
run_driver() {
  trap stop_driver EXIT
  trap 'exit 130' INT TERM
  timeout -s TERM -k 30 "$((DEADLINE_S + 120))" python3 "$HERE/$1" run &
  PY_PID=$!
  local rc=0; wait "$PY_PID" || rc=$?; PY_PID=""
  exit "$rc"
}
