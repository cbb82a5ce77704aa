#!/usr/bin/env bash
# The measured ceiling of the mandated warm `runtime: lambda` HTTP path, against lighttpd static.
#   lighttpd     lighttpd serving a 1 KiB static file (GET), settings as the peers' http-bench.sh
#   ceil-T1-K1   runtime-ceiling.c, 1 event loop, 1 lambda-echo instance     (c=1 only)
#   ceil-T1-K8   runtime-ceiling.c, 1 event loop, 8 lambda-echo instances
#   ceil-T2-K8   runtime-ceiling.c, 2 event loops (SO_REUSEPORT), 4 instances each
# Ceiling load: POST 1 KiB body (echoed back through the Runtime API over loopback TCP).
# All servers of a round are started together (idle ones sleep in epoll_wait/read), then for each c
# the configs run back to back (order reversed every other round); ratio = ceiling / lighttpd of the
# same round and c. wrk --latency -d $DURATION, -t1 at c=1, -t2 otherwise. Only 127.0.0.1,
# ports $PORT_BASE..+40 (default 29400-29440). Every process is stopped by PID.
# CPU per request: utime+stime from /proc (the server and its live children: the handlers), and
# wrk's own CPU (cutime of the shell that waited for it), whole-machine busy time per request, and
# "unattr" = machine busy time charged to neither (other tenants of the machine, or softirq time).
# Env: ROUNDS(3) DURATION(5) CONNS("1 8 64") PORT_BASE(29400) QUIET_WAIT(10) OUT(/tmp/runtime-ceiling)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-5}"; CONNS="${CONNS:-1 8 64}"
PORT_BASE="${PORT_BASE:-29400}"; QUIET_WAIT="${QUIET_WAIT:-10}"; OUT="${OUT:-/tmp/runtime-ceiling}"
for t in wrk lighttpd gcc curl; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install -y wrk lighttpd gcc curl" >&2; exit 1; }
done
rm -rf "$OUT"; mkdir -p "$OUT/bin" "$OUT/www" "$OUT/out"
gcc -O2 -Wall -pthread -o "$OUT/bin/runtime-ceiling" "$HERE/runtime-ceiling.c"
gcc -O2 -Wall -o "$OUT/bin/lambda-echo" "$HERE/lambda-echo.c"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$OUT/www/static.txt"   # 1 KiB static file
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$OUT/body.bin"          # 1 KiB POST body
cat > "$OUT/post.lua" <<LUA
local f = io.open("$OUT/body.bin", "rb"); local b = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = b
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
cat > "$OUT/wrk-cpu.sh" <<'SH'
#!/usr/bin/env bash
# wrk-cpu.sh OUTFILE TIMEOUT WRK-ARGS...: runs wrk, prints its CPU seconds (this shell's cutime+cstime)
out=$1; to=$2; shift 2
timeout "$to" wrk "$@" > "$out" 2>&1 || echo "WARN: wrk failed ($*)" >&2
awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f", ($14 + $15) / t }' /proc/$$/stat
SH
chmod +x "$OUT/wrk-cpu.sh"
LPORT=$((PORT_BASE + 1))
declare -A FRONT=([ceil-T1-K1]=$((PORT_BASE + 10)) [ceil-T1-K8]=$((PORT_BASE + 20)) [ceil-T2-K8]=$((PORT_BASE + 30)))
declare -A ARGS=([ceil-T1-K1]="1 1" [ceil-T1-K8]="1 8" [ceil-T2-K8]="2 8")
for p in $LPORT $((PORT_BASE + 10)) $((PORT_BASE + 11)) $((PORT_BASE + 20)) $((PORT_BASE + 21)) \
         $((PORT_BASE + 30)) $((PORT_BASE + 31)) $((PORT_BASE + 32)); do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p busy; set PORT_BASE" >&2; exit 1; fi
done
cat > "$OUT/lighttpd.conf" <<CONF
server.document-root = "$OUT/www"
server.bind          = "127.0.0.1"
server.port          = $LPORT
server.modules       = ( "mod_cgi" )
server.errorlog      = "$OUT/lighttpd.err"
server.max-fds       = 8192
cgi.assign           = ( ".cgi" => "" )
mimetype.assign      = ( ".txt" => "text/plain" )
CONF

declare -A PID=()
stop_pid() {  # one process we started, by PID; KILL after 5 s
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
stop_all() { local k; for k in "${!PID[@]}"; do stop_pid "${PID[$k]}"; unset "PID[$k]"; done; }
trap stop_all EXIT
trap 'exit 130' INT TERM
wait_http() { local i; for i in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
              echo "server at $1 did not come up" >&2; return 1; }
TICK=$(getconf CLK_TCK)
proc_cpu() {  # CPU seconds of PID and its live children (the server's handlers)
  local p=$1 kids
  kids=$(pgrep -P "$p" || true)
  cat /proc/"$p"/stat $(for k in $kids; do echo /proc/"$k"/stat; done) 2>/dev/null |
    awk -v t="$TICK" '{ sub(/^.*\) /, ""); s += $12 + $13 } END { printf "%.3f", s / t }'
}
machine_busy() { awk '/^cpu /{ printf "%.3f", ($2+$3+$4+$7+$8+$9) / '"$TICK"' }' /proc/stat; }
busy_pct() {  # whole-machine CPU busy % over 0.5 s
  local a b; a=($(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)); sleep 0.5
  b=($(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat))
  echo $(( 100 * (b[0]-a[0]) / ((b[0]-a[0]) + (b[1]-a[1]) > 0 ? (b[0]-a[0]) + (b[1]-a[1]) : 1) ))
}
wait_quiet() { local end=$((SECONDS + QUIET_WAIT)) b; while :; do b=$(busy_pct)
               if (( b < 15 )) || (( SECONDS >= end )); then echo "$b"; return; fi; done; }

start_round() {
  lighttpd -D -f "$OUT/lighttpd.conf" 2>>"$OUT/lighttpd.stderr" & PID[lighttpd]=$!
  local cfg
  for cfg in ceil-T1-K1 ceil-T1-K8 ceil-T2-K8; do
    "$OUT/bin/runtime-ceiling" "${FRONT[$cfg]}" $((FRONT[$cfg] + 1)) ${ARGS[$cfg]} "$OUT/bin/lambda-echo" \
      2>>"$OUT/$cfg.stderr" & PID[$cfg]=$!
  done
  wait_http "http://127.0.0.1:$LPORT/static.txt"
  curl -s "http://127.0.0.1:$LPORT/static.txt" -o "$OUT/check.out"
  cmp -s "$OUT/check.out" "$OUT/www/static.txt" || { echo "lighttpd static check failed" >&2; exit 1; }
  for cfg in ceil-T1-K1 ceil-T1-K8 ceil-T2-K8; do
    wait_http "http://127.0.0.1:${FRONT[$cfg]}/"
    local i; for i in 1 2 3 4 5 6 7 8; do   # a few connections, to reach both loops of T2
      curl -s --data-binary @"$OUT/body.bin" "http://127.0.0.1:${FRONT[$cfg]}/" -o "$OUT/check.out"
      cmp -s "$OUT/check.out" "$OUT/body.bin" || { echo "echo check failed for $cfg" >&2; exit 1; }
    done
  done
}

RES="$OUT/runs.tsv"
printf 'round\tconfig\tc\trps\tp50\tp99\terrors\tserver_cpu_s\twrk_cpu_s\tmachine_busy_s\trequests\tbusy_before\n' > "$RES"
run_one() {  # round cfg c
  local r=$1 cfg=$2 c=$3 t=2 url lua=() f pid m0 m1 s0 s1 w busy
  (( c < 2 )) && t=1
  if [[ $cfg == lighttpd ]]; then url="http://127.0.0.1:$LPORT/static.txt"
  else url="http://127.0.0.1:${FRONT[$cfg]}/"; lua=(-s "$OUT/post.lua"); fi
  pid=${PID[$cfg]}; f="$OUT/out/r$r-$cfg-c$c.txt"
  busy=$(wait_quiet)
  m0=$(machine_busy); s0=$(proc_cpu "$pid")
  w=$("$OUT/wrk-cpu.sh" "$f" $((DURATION + 30)) -t"$t" -c"$c" -d"${DURATION}s" --latency "${lua[@]}" "$url")
  s1=$(proc_cpu "$pid"); m1=$(machine_busy)
  python3 - "$f" "$r" "$cfg" "$c" "$s0" "$s1" "$w" "$m0" "$m1" "$busy" >> "$RES" <<'PY'
import re, sys
f, r, cfg, c, s0, s1, w, m0, m1, busy = sys.argv[1:]
t = open(f).read()
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
def lat(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, t, re.M); return float(m.group(1)) * unit[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
n = int(re.search(r"(\d+) requests in", t).group(1))
e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
x = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err = (sum(map(int, e.groups())) if e else 0) + (int(x.group(1)) if x else 0)
print("\t".join(map(str, [r, cfg, c, rps, lat("50"), lat("99"), err, round(float(s1) - float(s0), 3), w,
                          round(float(m1) - float(m0), 3), n, busy])))
PY
  printf '#   round %s %-11s c=%-3s %9s req/s  (machine busy before: %s%%)\n' "$r" "$cfg" "$c" \
    "$(awk '/Requests\/sec/{print $2}' "$f")" "$busy"
}

echo "# runtime-ceiling: $(date -u +%FT%TZ) nproc=$(nproc) rounds=$ROUNDS duration=${DURATION}s conns=[$CONNS]"
echo "# $(lighttpd -v 2>&1 | head -1); $(wrk -v 2>&1 | head -1); $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for r in $(seq 1 "$ROUNDS"); do
  start_round
  for c in $CONNS; do
    cfgs=(lighttpd); (( c == 1 )) && cfgs+=(ceil-T1-K1); cfgs+=(ceil-T1-K8 ceil-T2-K8)
    if (( r % 2 == 0 )); then rev=(); for ((i=${#cfgs[@]}-1; i>=0; i--)); do rev+=("${cfgs[i]}"); done; cfgs=("${rev[@]}"); fi
    for cfg in "${cfgs[@]}"; do run_one "$r" "$cfg" "$c"; done
  done
  stop_all
  sleep 0.5
done
cat "$OUT"/ceil-*.stderr > "$OUT/servers.log" 2>/dev/null || true
if grep -q "exited" "$OUT/servers.log"; then echo "WARN: a handler exited during the run (see $OUT/servers.log)" >&2; fi

python3 - "$RES" "$(nproc)" <<'PY'
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for x in rows:
    for k in ("rps", "p50", "p99", "server_cpu_s", "wrk_cpu_s", "machine_busy_s"): x[k] = float(x[k])
    for k in ("errors", "requests", "busy_before"): x[k] = int(x[k])
base = {(x["round"], x["c"]): x["rps"] for x in rows if x["config"] == "lighttpd"}
print("\nmedian over rounds; ratio = ceiling / lighttpd req/s of the same round and c (target >= 0.35)")
print("cpu us/req: srv = server process + its handlers (/proc utime+stime); wrk = the load generator;")
print("  all = whole machine busy time / requests; unattr % = busy time in neither (other tenants, or softirq not charged to a task)")
hdr = f"{'c':>3} {'config':11} {'req/s':>8} {'min-max':>15} {'ratio':>6} {'ratios':>17} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} {'srv us/req':>10} {'wrk us/req':>10} {'all us/req':>10} {'unattr %':>8}"
print(hdr); print("-" * len(hdr))
cs = sorted({int(x["c"]) for x in rows})
order = ["lighttpd", "ceil-T1-K1", "ceil-T1-K8", "ceil-T2-K8"]
for c in cs:
    for cfg in order:
        rs = [x for x in rows if x["config"] == cfg and int(x["c"]) == c]
        if not rs: continue
        rps = [x["rps"] for x in rs]
        ratios = [x["rps"] / base[(x["round"], x["c"])] for x in rs if (x["round"], x["c"]) in base]
        srv = st.median(x["server_cpu_s"] / x["requests"] * 1e6 for x in rs)
        wrk = st.median(x["wrk_cpu_s"] / x["requests"] * 1e6 for x in rs)
        other = st.median(max(0.0, x["machine_busy_s"] - x["server_cpu_s"] - x["wrk_cpu_s"]) for x in rs)
        allc = st.median(x["machine_busy_s"] / x["requests"] * 1e6 for x in rs)
        dur = st.median(x["requests"] / x["rps"] for x in rs)
        rtxt = "" if cfg == "lighttpd" else f"{st.median(ratios):6.3f} {'/'.join(f'{v:.2f}' for v in ratios):>17}"
        print(f"{c:>3} {cfg:11} {st.median(rps):8.0f} {min(rps):7.0f}-{max(rps):<7.0f} {rtxt:>24} "
              f"{st.median(x['p50'] for x in rs):7.3f} {st.median(x['p99'] for x in rs):7.3f} "
              f"{sum(x['errors'] for x in rs):4d} {srv:10.1f} {wrk:10.1f} {allc:10.1f} {100 * other / (int(sys.argv[2]) * dur):8.1f}")
PY
echo "# raw: $RES, wrk output: $OUT/out/"
