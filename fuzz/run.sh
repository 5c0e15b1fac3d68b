#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz", clang + ASan/UBSan) and runs each for N seconds
# (default 30) from its seed corpus. Exits non-zero if a target finds a crash.
# Usage: fuzz/run.sh [seconds]
set -euo pipefail
secs="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
targets=(engineio_payload_fuzz socketio_packet_fuzz)
cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "${targets[@]}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  bin="$(find build/fuzz -type f -name "$t" -perm -u+x | head -n1)"
  mkdir -p "$work/$t"
  echo "== $t: ${secs}s"
  # New corpus entries go to a scratch dir; the checked-in seeds stay read-only. Crash
  # reproducers land in build/fuzz/artifacts/.
  mkdir -p build/fuzz/artifacts
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/artifacts/"$t"- "$work/$t" "fuzz/seeds/$t"
done
echo "fuzz: all targets ran ${secs}s without findings"
