#!/usr/bin/env bash
# Checks every component that build.sh put into OUT_DIR against the reference host (jco transpile on
# Node, harness/reference.mjs): runs the steps of cases/*.json and compares each result with its
# expectation, cross-checks the core reference, and makes sure jco rejects every malformed/ binary.
# Prints each failure and exits non-zero if there is one. Transpiled components are cached in
# OUT_DIR/reference-cache.
#   usage: tests/components/verify.sh OUT_DIR      (VERBOSE=1 also lists jco's malformed errors)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")" && pwd)
[ -f "$1/components.json" ] || { echo "verify.sh: $1/components.json missing; run build.sh $1" >&2; exit 1; }
exec node "$src/harness/verify.mjs" "$1" "$src/cases"
