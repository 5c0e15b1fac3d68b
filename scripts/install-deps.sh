#!/usr/bin/env bash
# Installs every Debian package natter needs to build, run and test (idempotent).
# Usage: scripts/install-deps.sh [build|test]   (default: test = everything)
set -euo pipefail
what="${1:-test}"
build_pkgs=(build-essential g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev)
test_pkgs=(libgtest-dev libgmock-dev clang libclang-rt-14-dev nodejs
  python3 python3-pytest python3-socketio python3-requests python3-jwt python3-websocket sqlite3
  chromium)  # the browser test (tests/e2e/js/test/chat/browser.test.mjs, via playwright-core)
pkgs=("${build_pkgs[@]}")
# npm: the machine's nodejs may bundle npm; Debian's npm package conflicts with that build.
[ "$what" = test ] && ! command -v npm >/dev/null && test_pkgs+=(npm)
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
