#!/usr/bin/env bash
# Builds the test handlers (see README.md) into OUT_DIR/*.wasm, intermediate files in OUT_DIR/obj.
# Same steps as scripts/build-examples (scripts/lib/guest-build.sh). Quiet on success.
#   usage: tests/handlers/build.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
source "$(dirname "$0")/../../scripts/lib/guest-build.sh"
src=$guest_root/tests/handlers
mkdir -p "$1"
out=$(cd "$1" && pwd)

guest_init "$out/obj"
# JavaScript first: it takes the longest (~20 s), in the background.
guest_js "$out/wasi-http-test.wasm" "$src/wasi-http-test/wasi-http-test.js" \
  "$src/wasi-http-test/wasi-http-test.wit" wasi-http-test
for name in echo trap loop bad-status bad-header counter big alloc respond; do
  guest_c "$out/$name.wasm" "$src/$name.c"
done
guest_c "$out/version-1.wasm" "$src/version.c" -DVERSION=1
guest_c "$out/version-2.wasm" "$src/version.c" -DVERSION=2
GUEST_WIT=$src/other-package/other.wit GUEST_WORLD=other-handler \
  guest_c "$out/other-package.wasm" "$src/other-package/other.c"
GUEST_WIT=$src/kv GUEST_WORLD=kv-handler guest_c "$out/kv.wasm" "$src/kv.c"
guest_c_wasi "$out/wasi-fs-c.wasm" "$src/wasi-fs.c"
guest_c_wasi "$out/wasi-sleep.wasm" "$src/wasi-sleep.c"
guest_c_wasi "$out/seed.wasm" "$src/seed.c"
guest_c_wasi "$out/sdk-helpers.wasm" "$src/sdk-helpers.c"  # snprintf needs wasi-libc's stdio
guest_finish
