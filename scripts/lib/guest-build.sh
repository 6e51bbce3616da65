# Shared steps that turn handler sources into components of the handler world (wit/handler.wit);
# sourced by scripts/build-examples and tests/handlers/build.sh. Needs scripts/setup-guest to have
# run. The compilers run in parallel; guest_finish waits for them and fails if any failed.
#
#   guest_init OBJ_DIR                   checks the tools; intermediate files go to OBJ_DIR
#   guest_c OUT.wasm SRC.c [CFLAGS...]   C with sdk/c (clang-19, wasm32-wasi reactor, no WASI imports)
#   guest_rust OUT.wasm SRC.rs           Rust with sdk/rust (Debian rustc 1.63, wasm32-unknown-unknown)
#   guest_wat OUT.wasm SRC.wat           a core module written by hand (wat2wasm)
#   guest_finish                         checks the core modules' imports, then jco embed + jco new
#                                        for all of them in one Node process (~1.5 s)
# GUEST_WIT (a WIT file or folder, default wit/) and GUEST_WORLD (default handler) choose the world
# of the modules queued after they are set.
guest_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

guest_init() {
  guest_obj=$1
  guest_clang=${CLANG:-clang-19}
  # Debian's rustc 1.63 by full path: the rustup toolchain usually first on PATH has no wasm32 std.
  guest_rustc=${RUSTC_WASM:-/usr/bin/rustc}
  guest_steps=()
  guest_pids=()
  guest_cores=()
  local tool
  for tool in "$guest_clang" "$guest_rustc" wat2wasm wasm-objdump node; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found; run scripts/setup-guest" >&2; exit 1; }
  done
  [ -d "$("$guest_rustc" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] || {
    echo "$0: $guest_rustc has no wasm32-unknown-unknown std; run scripts/setup-guest" >&2; exit 1; }
  [ -d "$guest_root/tools/guest/node_modules/@bytecodealliance/jco" ] || {
    echo "$0: tools/guest/node_modules missing; run scripts/setup-guest" >&2; exit 1; }
  mkdir -p "$guest_obj"
  # The SDK, compiled once; handlers link it and the linker drops the host imports they do not use.
  "$guest_clang" "${guest_cflags[@]}" -c "$guest_root/sdk/c/witserve.c" -o "$guest_obj/witserve.o"
}
guest_cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror)

# Runs the compiler command "${@:2}" with the core module's path appended, in the background, and
# queues the component $1 (OUT.wasm) made from that core module.
_guest_compile() {
  local core=$guest_obj/$(basename "$1" .wasm).core.wasm
  "${@:2}" "$core" &
  guest_pids+=($!)
  guest_cores+=("$core")
  guest_steps+=("component $core ${GUEST_WIT:-$guest_root/wit} ${GUEST_WORLD:-handler} utf8 $1")
}

guest_c() {
  local out=$1 src=$2
  shift 2
  _guest_compile "$out" "$guest_clang" "${guest_cflags[@]}" -mexec-model=reactor -Wl,--strip-all \
    -I "$guest_root/sdk/c" "$@" "$src" "$guest_obj/witserve.o" -o
}

guest_rust() {
  _guest_compile "$1" "$guest_rustc" --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
    -C opt-level=2 -C panic=abort -D warnings -C link-arg=--strip-all "$2" -o
}

guest_wat() {
  _guest_compile "$1" wat2wasm "$2" -o
}

guest_finish() {
  local pid failed=0 core bad
  for pid in "${guest_pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] || { echo "$0: compilation failed" >&2; exit 1; }
  # Only the host interface may be imported: no WASI (stdio pulls it in), and no symbol that
  # rustc's --allow-undefined silently turned into an import.
  for core in "${guest_cores[@]}"; do
    bad=$(wasm-objdump -x -j Import "$core" 2>/dev/null | grep ' <- ' |
          grep -v ' <- witserve:handler/host@0\.1\.0\.' || true)
    [ -z "$bad" ] || { echo "$0: $core imports more than witserve:handler/host:" >&2; echo "$bad" >&2; exit 1; }
  done
  # jco embed + new through the API (tests/components/harness/jco_batch.mjs: the CLI ignores -n).
  printf '%s\n' "${guest_steps[@]}" |
    node --import "$guest_root/tools/guest/preopen.mjs" "$guest_root/tests/components/harness/jco_batch.mjs"
}
