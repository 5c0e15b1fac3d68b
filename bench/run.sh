#!/usr/bin/env bash
# Side-by-side benchmark: natter, the Node peer (shared/bench/peer-node) and, when one is built, a
# raw WebSocket echo server, all driven by the same generator (natter-bench) in one run. With
# natter-echo the echo step also measures the ceilings beside idle and tabs: raw WebSocket connects
# (echo --mode connect, IDLE_SOCKETS) and group fan-out (echo --mode fanout, TABS receivers, WINDOW).
#
#   bench/run.sh                  # every scenario, every server
#   QUICK=1 bench/run.sh          # short runs (2 s) and small sizes, for a smoke test
#   SCENARIOS="pairs rest" bench/run.sh
#
# Knobs (environment): DURATION (10) WARMUP (2) PROCS (1: generator processes) PRESET (release)
#   BUILD_DIR (build/<preset>) SKIP_BUILD=1 (use the binaries already in BUILD_DIR)
#   SCENARIOS (idle pairs tabs fanout presence rest echo)  SERVERS (natter peer)
#   DATA_ROOT (/tmp): where the servers' databases go; /dev/shm takes the disk out of the numbers
#   BENCH_NICE (0): nice value for servers and generator (negative: ahead of other jobs; root only)
#   QUIET_WAIT=300 (QUIET_RUNNING=1.5): before each run wait up to 300 s for other jobs to stop
#   PEER_TUNED=1 also runs the peer with SIO_TUNED=1 (as "peer-tuned")
#   PEER_SRC (../shared/bench/peer-node)  PEER_DIR (/tmp/natter-bench-peer: writable copy, npm ci once)
#   ECHO_CMD: command line of a raw WebSocket echo server that prints "listening ...:<port>" and
#             takes PORT from the environment (default: build/<preset>/bench/natter-echo, natter's
#             own libraries, labelled "natter-echo"; else another executable named *echo* under
#             build/<preset>/examples or bench, labelled "echo"); without one, bench/ws_echo.js on
#             the peer's `ws` module runs instead, labelled "node-ws-echo". ECHO_NAME sets the label.
#   IDLE_SOCKETS (5000) IDLE_SPU (10) PAIRS (50) PAIRS_WINDOWS ("1 10 50": one pairs run per window,
#   the throughput/latency curve) WINDOW (10: tabs, echo) TABS (100) FAN_SOCKETS (2000)
#   FAN_SPU (20) PRES_USERS (1000) REST_CLIENTS (32) ECHO_SOCKETS (50)
# rest also runs natter open loop on each endpoint at the peer's best req/s there (p99 at the peer's
# best rate).
# Output: bench/results/<timestamp>.jsonl (one JSON line per scenario and server, first line = machine),
# the tables on stderr, and natter/peer ratios at the end, natter/natter-echo for idle and tabs
# (bench/plot.py --summary).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PRESET=${PRESET:-release}
BUILD=${BUILD_DIR:-$ROOT/build/$PRESET}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  DURATION=${DURATION:-2}; WARMUP=${WARMUP:-0.5}
  IDLE_SOCKETS=${IDLE_SOCKETS:-500}; FAN_SOCKETS=${FAN_SOCKETS:-300}; PRES_USERS=${PRES_USERS:-200}
  REST_DURATION=${REST_DURATION:-1}
fi
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REST_DURATION=${REST_DURATION:-$(awk "BEGIN{print ($DURATION > 5) ? 5 : $DURATION}")}
PROCS=${PROCS:-1}
SCENARIOS=${SCENARIOS:-idle pairs tabs fanout presence rest echo}
SERVERS=${SERVERS:-natter peer}
[ "${PEER_TUNED:-0}" = 1 ] && SERVERS="$SERVERS peer-tuned"
IDLE_SOCKETS=${IDLE_SOCKETS:-5000}; IDLE_SPU=${IDLE_SPU:-10}
PAIRS=${PAIRS:-50}; WINDOW=${WINDOW:-10}; TABS=${TABS:-100}
PAIRS_WINDOWS=${PAIRS_WINDOWS:-1 10 50}
FAN_SOCKETS=${FAN_SOCKETS:-2000}; FAN_SPU=${FAN_SPU:-20}
PRES_USERS=${PRES_USERS:-1000}; REST_CLIENTS=${REST_CLIENTS:-32}; ECHO_SOCKETS=${ECHO_SOCKETS:-50}
PEER_SRC=${PEER_SRC:-$ROOT/../shared/bench/peer-node}
PEER_DIR=${PEER_DIR:-/tmp/natter-bench-peer}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK=$(mktemp -d /tmp/natter-bench-run.XXXXXX)
DATA=$(mktemp -d "${DATA_ROOT:-/tmp}/natter-bench-data.XXXXXX")
NICE=()
if [ "${BENCH_NICE:-0}" != 0 ] && nice -n "$BENCH_NICE" true 2>/dev/null; then NICE=(nice -n "$BENCH_NICE"); fi
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
SERVER_PID=""

log() { echo "[run.sh] $*" >&2; }

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK" "$DATA"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building natter, natter-bench and natter-echo ($PRESET)"
  cmake --preset "$PRESET" >/dev/null
  cmake --build "$BUILD" --target natter natter-bench natter-echo >/dev/null
fi
BENCH="$BUILD/bench/natter-bench"
NATTER="$BUILD/natter"

# --- peer: writable copy, npm ci once -----------------------------------------------------------
peer_ready=0
if [[ " $SERVERS " == *" peer"* ]]; then
  if [ ! -f "$PEER_SRC/server.js" ]; then
    log "peer sources not found at $PEER_SRC: skipping the peer"
  elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "node/npm missing: skipping the peer"
  else
    if [ ! -d "$PEER_DIR/node_modules" ] || ! cmp -s "$PEER_SRC/package-lock.json" "$PEER_DIR/package-lock.json"; then
      log "installing the peer into $PEER_DIR (npm ci)"
      rm -rf "$PEER_DIR"; mkdir -p "$PEER_DIR"
      cp "$PEER_SRC"/package.json "$PEER_SRC"/package-lock.json "$PEER_SRC"/server.js "$PEER_DIR"/
      chmod -R u+w "$PEER_DIR"
      (cd "$PEER_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1)
    else
      cp "$PEER_SRC/server.js" "$PEER_DIR/server.js"
    fi
    peer_ready=1
  fi
fi

# --- echo server (optional) ---------------------------------------------------------------------
if [ -z "${ECHO_CMD:-}" ]; then
  if [ -x "$BUILD/bench/natter-echo" ]; then
    ECHO_CMD="$BUILD/bench/natter-echo"
    ECHO_NAME=${ECHO_NAME:-natter-echo}
  else
    ECHO_CMD=$(find "$BUILD/examples" "$BUILD/bench" -maxdepth 1 -type f -perm -u+x -name '*echo*' \
      ! -name '*test*' 2>/dev/null | head -1 || true)
  fi
  if [ -z "$ECHO_CMD" ] && [ "$peer_ready" = 1 ]; then
    ECHO_CMD="env NODE_PATH=$PEER_DIR/node_modules node $ROOT/bench/ws_echo.js"
    ECHO_NAME=${ECHO_NAME:-node-ws-echo}
  fi
fi
ECHO_NAME=${ECHO_NAME:-echo}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port_line() {  # file → prints the port from the first "...:<port>" listening line
  local f=$1
  for _ in $(seq 1 100); do
    if grep -qiE 'listening' "$f" 2>/dev/null; then
      grep -iE 'listening' "$f" | head -1 | grep -oE ':[0-9]{2,5}' | tail -1 | tr -d ':'
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$f" >&2; return 1; }
    sleep 0.1
  done
  cat "$f" >&2
  return 1
}

# start_server NAME [natter flags...] → sets SERVER_PID, URL
start_server() {
  local name=$1; shift
  local logf="$WORK/$name.log"
  case "$name" in
    natter|natter-all)
      rm -rf "$DATA/natter-data"
      local extra=()
      [ "$name" = natter-all ] && extra=(--presence-scope all)
      "${NICE[@]}" "$NATTER" --port 0 --data-dir "$DATA/natter-data" --jwt-secret bench-secret \
        --sqlite-synchronous full "${extra[@]}" >"$logf" 2>&1 &
      SERVER_PID=$!
      ;;
    peer|peer-tuned)
      rm -f "$DATA"/peer.db*
      local port; port=$(free_port)
      local tuned=0; [ "$name" = peer-tuned ] && tuned=1
      (cd "$PEER_DIR" && exec "${NICE[@]}" env HOST=127.0.0.1 PORT="$port" DB_PATH="$DATA/peer.db" JWT_SECRET=bench-secret \
        SIO_TUNED=$tuned node server.js) >"$logf" 2>&1 &
      SERVER_PID=$!
      ;;
    echo)
      local port; port=$(free_port)
      PORT=$port "${NICE[@]}" $ECHO_CMD >"$logf" 2>&1 &
      SERVER_PID=$!
      ;;
  esac
  local port; port=$(wait_port_line "$logf") || { log "$name did not start"; return 1; }
  URL="http://127.0.0.1:$port"
  sleep 0.3
}

{
  printf '{"meta":{"date":"%s","nproc":%s,"cpu":"%s","mem_kb":%s,"loadavg":"%s","commit":"%s","duration_s":%s,"warmup_s":%s,"procs":%s,"data_fs":"%s","nice":%s}}\n' \
    "$(date -u +%FT%TZ)" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
    "$(grep MemTotal /proc/meminfo | awk '{print $2}')" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$DURATION" "$WARMUP" "$PROCS" \
    "$(df -T "$DATA" | awk 'NR==2{print $2}')" "${BENCH_NICE:-0}"
} >"$OUT"

# Waits (at most QUIET_WAIT seconds, default 0) until other jobs leave the CPUs alone: the mean
# number of runnable tasks over 2 s (/proc/stat procs_running, which counts this check itself)
# below QUIET_RUNNING (default 1.5). On a shared machine other jobs skew every number.
busy() {
  local sum=0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sum=$((sum + $(awk '/^procs_running/{print $2}' /proc/stat))); sleep 0.2
  done
  awk -v s="$sum" -v q="${QUIET_RUNNING:-1.5}" 'BEGIN{exit !(s / 10 >= q)}'
}
wait_quiet() {
  local waited=0
  while [ "$waited" -lt "${QUIET_WAIT:-0}" ] && busy; do waited=$((waited + 2)); done
  [ "${QUIET_WAIT:-0}" -gt 0 ] && [ "$waited" -ge "${QUIET_WAIT:-0}" ] && log "machine still busy after ${QUIET_WAIT}s; running anyway"
  return 0
}

# run_one SERVER_NAME SERVER_KIND SCENARIO ARGS... : starts a fresh server, runs, appends the line.
run_one() {
  local label=$1 kind=$2; shift 2
  wait_quiet
  if [[ "$kind" == peer* ]] && [ "$peer_ready" != 1 ]; then return 0; fi
  start_server "$kind" || return 0
  log "$* @ $label ($URL)"
  set +e
  "${NICE[@]}" "$BENCH" "$@" --url "$URL" --server "$label" --server-pid "$SERVER_PID" --procs "$PROCS" >>"$OUT"
  local rc=$?
  set -e
  [ $rc -ne 0 ] && log "natter-bench exited $rc for $* @ $label (line kept when written)"
  stop_server
}

common=(--duration "$DURATION" --warmup "$WARMUP")
for sc in $SCENARIOS; do
  for srv in $SERVERS; do
    kind=$srv; [ "$srv" = natter ] && kind=natter
    case "$sc" in
      idle)     run_one "$srv" "$kind" idle --sockets "$IDLE_SOCKETS" --sockets-per-user "$IDLE_SPU" --hold 3 ;;
      pairs)    for w in $PAIRS_WINDOWS; do
                  run_one "$srv" "$kind" pairs --pairs "$PAIRS" --window "$w" "${common[@]}"
                done ;;
      tabs)     run_one "$srv" "$kind" fanout --mode tabs --tabs "$TABS" --window "$WINDOW" "${common[@]}" ;;
      fanout)   # global presence: natter needs --presence-scope all
                k=$kind; [ "$srv" = natter ] && k=natter-all
                run_one "$srv" "$k" fanout --mode presence --sockets "$FAN_SOCKETS" --sockets-per-user "$FAN_SPU" --duration "$DURATION" ;;
      presence) k=$kind; [ "$srv" = natter ] && k=natter-all
                run_one "$srv" "$k" presence --users "$PRES_USERS" ;;
      rest)     run_one "$srv" "$kind" rest --clients "$REST_CLIENTS" --duration "$REST_DURATION" --warmup 1 ;;
      echo)     ;;  # below, once
      *) log "unknown scenario $sc" ;;
    esac
  done
  # Latency at the peer's best rate (as pairs reports p99 at the peer's best rate): natter again,
  # open loop (--rate), each endpoint alone at the req/s the peer reached on that endpoint.
  if [ "$sc" = rest ] && [[ " $SERVERS " == *" natter "* ]]; then
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("scenario") == "rest" and r.get("server") == "peer" and not r["params"].get("rate"):
        for ep, v in r["results"].items():
            if isinstance(v, dict) and v.get("req_per_s"):
                print(ep, int(v["req_per_s"]))' "$OUT" > "$WORK/peer-rates"
    mapfile -t peer_rates < "$WORK/peer-rates"  # (not a `while read` loop: the servers get stdin)
    for line in "${peer_rates[@]}"; do
      read -r ep peer_rate <<< "$line"
      run_one natter natter rest --clients "$REST_CLIENTS" --duration "$REST_DURATION" --warmup 1 \
        --endpoints "$ep" --rate "$peer_rate"
    done
  fi
  if [ "$sc" = echo ]; then
    if [ -n "$ECHO_CMD" ]; then
      run_one "$ECHO_NAME" echo echo --sockets "$ECHO_SOCKETS" --window "$WINDOW" "${common[@]}"
      run_one "$ECHO_NAME" echo echo --mode connect --sockets "$IDLE_SOCKETS" --hold 3
      # Groups (/group/<name>) are natter-echo's; other echo servers would only echo.
      if [[ "$ECHO_CMD" == *natter-echo* ]]; then
        run_one "$ECHO_NAME" echo echo --mode fanout --receivers "$TABS" --window "$WINDOW" "${common[@]}"
      fi
    else
      log "no echo server built (set ECHO_CMD): skipping echo"
    fi
  fi
done

log "results: $OUT"
python3 "$ROOT/bench/plot.py" --summary "$OUT" || true
