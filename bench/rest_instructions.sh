#!/bin/bash
# Instructions per REST request, from callgrind (steady on a shared, noisy machine where req/s is not).
# usage: bench/rest_instructions.sh NATTER_BINARY OUTDIR [N=2000] [ENDPOINTS=me,conversations,messages,send]
# Starts the server under callgrind (fresh data dir, --jwt-secret s), seeds like `natter-bench rest`,
# then for each endpoint: 20 warm-up requests, callgrind_control -z, N requests on one keep-alive
# connection, callgrind_control -d. Prints Ir per request for each endpoint (all server threads,
# user space only; the SQLite writer thread is included for send).
set -euo pipefail
BIN=$1; OUT=$2; N=${3:-2000}; EPS=${4:-me,conversations,messages,send}
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$OUT"; mkdir -p "$OUT/data"
PORT=$((20000 + RANDOM % 20000))
valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.%p" --dump-instr=no \
  "$BIN" --port $PORT --data-dir "$OUT/data" --jwt-secret s --log-level warn >"$OUT/server.log" 2>&1 &
VPID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.3; done
/usr/bin/python3 "$HERE/rest_instructions.py" --port $PORT --pid $VPID --n "$N" --endpoints "$EPS"
kill -INT $VPID; wait $VPID || true
i=1
for ep in ${EPS//,/ }; do
  ir=$(awk '/^summary:/ {print $2}' "$OUT"/cg.$VPID.$i)
  echo "$ep: $((ir / N)) instructions per request  ($OUT/cg.$VPID.$i; callgrind_annotate --inclusive=yes)"
  i=$((i + 1))
done
