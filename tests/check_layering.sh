#!/usr/bin/env bash
# Fails if any source outside src/witserve/engine/v8 includes a V8 or node header.
set -euo pipefail
root=$1
hits=$(grep -rlE '#\s*include\s*[<"](v8[^>"]*|node[^>"]*|libplatform/[^>"]*)\.h[>"]' \
  "$root/src" "$root/tests" "$root/bench" 2>/dev/null | grep -v "^$root/src/witserve/engine/v8/" || true)
if [ -n "$hits" ]; then
  echo "V8 headers included outside src/witserve/engine/v8:"; echo "$hits"; exit 1
fi
echo "ok: V8 headers appear only in src/witserve/engine/v8"
