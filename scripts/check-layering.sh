#!/usr/bin/env bash
# Checks that every `#include "module/..."` in src/ follows the module dependency table
# (docs/ARCHITECTURE.md). Exit 1 and list the offending lines otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [base]=""
  [config]="base"
  [http]="base"
  [auth]="base"
  [engineio]="base http"
  [socketio]="base http engineio"
  [chat]="base"
  [storage]="base chat"
  [cluster]="base chat socketio engineio http"
  [api]="base http chat auth"
  [realtime]="base http engineio socketio chat auth"
  [app]="*"
)
bad=0
while IFS= read -r line; do
  file=${line%%:*}
  mod=$(echo "$file" | cut -d/ -f2)
  inc=$(echo "$line" | sed -E 's/.*#include "([a-z_]+)\/.*/\1/')
  [ "$inc" = "$mod" ] && continue
  deps=${allowed[$mod]-}
  if [ -z "${allowed[$mod]+x}" ]; then echo "unknown module: $file"; bad=1; continue; fi
  [ "$deps" = "*" ] && continue
  [[ " $deps " == *" $inc "* ]] && continue
  echo "layering violation: $line  ($mod may include: ${deps:-nothing})"
  bad=1
done < <(grep -rnE '#include "[a-z_]+/' src --include='*.hpp' --include='*.cpp' || true)
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
