#!/usr/bin/env bash
# HTTP trigger, one handler process per request: Flint beside lighttpd+mod_cgi, same static C echo
# handler (from ../shared/bench/peers), same 1 KiB POST body, same wrk load, in the same run.
#   flint          flint up (release) with an exec function running the C echo, route POST /echo
#   lighttpd-cgi   lighttpd + mod_cgi running the C echo CGI
# Load: wrk --latency -d $DURATION at each concurrency in $CONNS; $REPS repetitions (outer loop),
# both servers restarted every rep. Only 127.0.0.1; every server stopped by PID.
# Prints per config and concurrency: req/s (median, min-max), p50/p99 ms, server CPU ms/request
# (everything the server ran, handlers included: a private cgroup via the peers' cpu-meter.sh,
# else the /proc tree sum), then the flint/lighttpd ratios; Flint's overhead around one
# invocation at c=1 (wrk p50 minus the handler's own median spawn-to-exit time from the ledger);
# and the idle daemon's RSS, handler processes and wake-ups per second.
# Env: REPS(3) DURATION(10) CONNS("1 8 64") PORT_BASE(28580) PEERS(../shared/bench/peers)
#      PEERS_DIR(/tmp/peers) FLINT(.build/release/flint) IDLE_SECONDS(5)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/bench/peers}"
PEERS_DIR="${PEERS_DIR:-/tmp/peers}"; export PEERS_DIR
REPS="${REPS:-3}"; DURATION="${DURATION:-10}"; CONNS="${CONNS:-1 8 64}"
PORT_BASE="${PORT_BASE:-28580}"; IDLE_SECONDS="${IDLE_SECONDS:-5}"
FLINT="${FLINT:-$ROOT/.build/release/flint}"
[[ -x "$PEERS/build-handlers.sh" ]] || { echo "peer benchmarks not found at $PEERS; set PEERS=DIR" >&2; exit 1; }
for t in wrk lighttpd curl sqlite3; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install -y wrk lighttpd curl sqlite3" >&2; exit 1; }
done
[[ -x "$FLINT" ]] || { echo "no flint binary at $FLINT: run 'swift build -c release' (or make bench)" >&2; exit 1; }
"$PEERS/build-handlers.sh" >/dev/null
B="$PEERS_DIR/bin"; D="$PEERS_DIR/flint-http"
rm -rf "$D"; mkdir -p "$D/www" "$D/out" "$D/project/functions/echo" "$D/project/triggers"
cp "$B/echo.cgi" "$D/www/echo.cgi"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$D/body.bin"
cat > "$D/post.lua" <<LUA
local f = io.open("$D/body.bin", "rb"); local b = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = b
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
LPORT=$PORT_BASE; FPORT=$((PORT_BASE + 1))
for p in $LPORT $FPORT; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p busy; set PORT_BASE" >&2; exit 1; fi
done
cat > "$D/lighttpd.conf" <<CONF
server.document-root = "$D/www"
server.bind          = "127.0.0.1"
server.port          = $LPORT
server.modules       = ( "mod_cgi" )
server.errorlog      = "$D/lighttpd.err"
server.max-fds       = 8192
cgi.assign           = ( ".cgi" => "" )
CONF
# The Flint project: the same static C echo as an exec function, behind an open POST route.
cat > "$D/project/flint.yaml" <<YAML
listen: 127.0.0.1:$FPORT
functions: [functions]
YAML
cat > "$D/project/functions/echo/function.yaml" <<YAML
name: echo
command: ["$B/echo"]
timeout: 10s
memory: 64Mi
concurrency: 64
YAML
cat > "$D/project/triggers/echo.yaml" <<YAML
source: http
function: echo
method: POST
path: /echo
auth: none
YAML
"$FLINT" validate --project "$D/project" >/dev/null

DEADLINE=$((SECONDS + 3600)); PIDS=(); SERVER_PID=""
CG=$("$PEERS/cpu-meter.sh" new 2>/dev/null || true); J=()
if [[ -n "$CG" ]]; then J=("$PEERS/cpu-meter.sh" join "$CG"); CPU_MODE=cgroup; else CPU_MODE=proc-tree; fi
server_cpu() { if [[ -n "$CG" ]]; then "$PEERS/cpu-meter.sh" read "$CG"; else "$PEERS/tree-cpu.py" "$SERVER_PID"; fi; }
stop_pid() {
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local p; for p in "${PIDS[@]}"; do stop_pid "$p"; done; PIDS=()
  if [[ -n "$CG" ]]; then "$PEERS/cpu-meter.sh" rm "$CG" || true; CG=""; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_http() { local i; for i in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no server at $1" >&2; return 1; }
start_config() {  # config -> URL
  case "$1" in
    lighttpd-cgi)
      "${J[@]}" lighttpd -D -f "$D/lighttpd.conf" 2>>"$D/lighttpd.stderr" & SERVER_PID=$!; PIDS+=($!)
      URL="http://127.0.0.1:$LPORT/echo.cgi"; wait_http "http://127.0.0.1:$LPORT/";;
    flint)
      rm -rf "$D/project/.flint"
      "${J[@]}" "$FLINT" up --project "$D/project" > "$D/flint.out" 2> "$D/flint.err" & SERVER_PID=$!; PIDS+=($!)
      URL="http://127.0.0.1:$FPORT/echo"; wait_http "http://127.0.0.1:$FPORT/healthz";;
  esac
  curl -s --data-binary @"$D/body.bin" -H 'Content-Type: application/octet-stream' "$URL" -o "$D/check.out"
  case "$1" in
    lighttpd-cgi) cmp -s "$D/check.out" "$D/body.bin" || { echo "echo check failed for $1" >&2; return 1; };;
    flint) python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["body"]==open(sys.argv[2]).read()' "$D/check.out" "$D/body.bin" \
             || { echo "echo check failed for flint" >&2; return 1; };;
  esac
}
stop_config() {
  local keep=() q
  stop_pid "$SERVER_PID"
  for q in "${PIDS[@]}"; do [[ "$q" == "$SERVER_PID" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}"); SERVER_PID=""
}
# Idle daemon: RSS, handler processes, and wake-ups/s (context switches of all its threads).
# $2: seconds to wait first (after load, past the runner's 10 s lifetime of idle supervisor threads).
idle_report() {
  local pid=$1 s0 s1
  sleep "${2:-1}"
  s0=$(cat /proc/$pid/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}')
  sleep "$IDLE_SECONDS"
  s1=$(cat /proc/$pid/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}')
  echo "idle: rss_kb=$(awk '/VmRSS/{print $2}' /proc/$pid/status) children=$(pgrep -P "$pid" | wc -l) wakeups_per_s=$(awk -v a="$s0" -v b="$s1" -v t="$IDLE_SECONDS" 'BEGIN{printf "%.1f", (b-a)/t}') threads=$(ls /proc/$pid/task | wc -l)"
}

echo "# flint http: $(date -u +%FT%TZ) nproc=$(nproc) reps=$REPS duration=${DURATION}s conns=[$CONNS]"
echo "# $(lighttpd -v 2>&1 | head -1); $(wrk -v 2>&1 | head -1); server cpu accounting: $CPU_MODE"
for rep in $(seq 1 "$REPS"); do
  for cfg in flint lighttpd-cgi; do
    (( SECONDS < DEADLINE )) || { echo "deadline reached" >&2; exit 1; }
    start_config "$cfg"
    if [[ "$cfg" == flint && "$rep" == 1 ]]; then idle_report "$SERVER_PID" > "$D/out/idle-before.txt"; fi
    for c in $CONNS; do
      t=2; (( c < 2 )) && t=1
      f="$D/out/rep$rep-$cfg-c$c.txt"
      : > "$f"
      [[ "$cfg" == flint ]] && sqlite3 "$D/project/.flint/flint.sqlite" 'select coalesce(max(rowid),0) from invocations' > "$D/out/rowid0" 2>/dev/null || true
      cpu0=$(server_cpu)
      timeout $((DURATION + 30)) wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$D/post.lua" "$URL" >> "$f" 2>&1 \
        || echo "WARN: wrk failed ($cfg c=$c rep=$rep)" >&2
      sleep 0.3   # the last handlers are reaped and the ledger's last batch commits
      cpu1=$(server_cpu)
      echo "# server_cpu_s $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.3f", b-a}')" >> "$f"
      if [[ "$cfg" == flint ]]; then
        echo "# handler_duration_p50_us $(sqlite3 "$D/project/.flint/flint.sqlite" "select duration_us from invocations where rowid > $(cat "$D/out/rowid0") order by duration_us limit 1 offset (select count(*)/2 from invocations where rowid > $(cat "$D/out/rowid0"))")" >> "$f"
        echo "# ledger_rows $(sqlite3 "$D/project/.flint/flint.sqlite" "select count(*) from invocations where rowid > $(cat "$D/out/rowid0") and outcome = 'ok'")" >> "$f"
      fi
      printf '#   rep %s %-13s c=%-3s %9s req/s\n' "$rep" "$cfg" "$c" "$(awk '/Requests\/sec/{print $2}' "$f")"
    done
    if [[ "$cfg" == flint && "$rep" == "$REPS" ]]; then idle_report "$SERVER_PID" 12 > "$D/out/idle-after.txt"; fi
    stop_config
  done
done
python3 "$HERE/http-report.py" "$D/out" "$CONNS"
