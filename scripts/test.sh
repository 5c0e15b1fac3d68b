#!/usr/bin/env bash
# Builds natter and runs every test suite; exits non-zero if any fails.
# Stages: layering check, C++ unit tests (ctest), REST black-box tests (pytest + requests),
# Socket.IO e2e tests (node --test with socket.io-client; python-socketio), fuzz smoke run.
set -uo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-release}
JOBS=${JOBS:-$(nproc)}
export NATTER_BIN="$PWD/build/$PRESET/natter"
passed=0; failed=0; failures=()
stage() {
  local name=$1; shift
  echo; echo "=== $name ==="
  if "$@"; then passed=$((passed+1)); echo "=== $name: ok ==="
  else failed=$((failed+1)); failures+=("$name"); echo "=== $name: FAILED ==="; fi
}
build() {
  cmake --preset "$PRESET" -DNATTER_WERROR=ON >/dev/null && cmake --build "build/$PRESET" -j "$JOBS"
}
stage "layering" bash scripts/check-layering.sh
echo; echo "=== build ==="
if ! build; then echo "=== build: FAILED ==="; echo "stages: $passed passed, 1 failed"; exit 1; fi
passed=$((passed+1)); echo "=== build: ok ==="
stage "unit tests" ctest --test-dir "build/$PRESET" --output-on-failure -j "$JOBS" --timeout 300
if [ -d tests/e2e/rest ]; then
  stage "REST e2e (pytest)" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/rest
fi
for d in tests/e2e/python tests/e2e/chat; do
  [ -d "$d" ] && stage "python e2e ($d)" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$d"
done
if [ -f tests/e2e/js/package.json ]; then
  (cd tests/e2e/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || failed=$((failed+1))
  stage "Socket.IO e2e (node --test)" bash -c 'cd tests/e2e/js && node --test --test-concurrency=1 test/'
fi
if [ -x fuzz/run.sh ] && [ "${SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzz smoke" bash fuzz/run.sh "${FUZZ_SECONDS:-15}"
fi
echo
[ ${#failures[@]} -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
