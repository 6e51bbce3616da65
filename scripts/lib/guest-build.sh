# Shared steps that turn handler sources into components of the handler world (wit/handler.wit),
# or of any world (GUEST_WIT, GUEST_WORLD, guest_js); sourced by scripts/build-examples and
# tests/handlers/build.sh. Needs scripts/setup-guest to have run. The compilers run in parallel;
# guest_finish waits for them and fails if any failed.
#
#   guest_init OBJ_DIR                   checks the tools; intermediate files go to OBJ_DIR
#   guest_c OUT.wasm SRC.c [CFLAGS...]   C with sdk/c (clang-19, wasm32-wasi reactor, no WASI imports)
#   guest_rust OUT.wasm SRC.rs           Rust with sdk/rust (Debian rustc 1.63, wasm32-unknown-unknown)
#   guest_wat OUT.wasm SRC.wat           a core module written by hand (wat2wasm)
#   guest_c_wasi OUT.wasm SRC.c [CFLAGS...]
#                                        C with sdk/c that uses WASI through wasi-libc (stdio, getenv,
#                                        files): the core module imports wasi_snapshot_preview1 and
#                                        becomes a component with jco's preview1 reactor adapter, so
#                                        the component imports wasi 0.2.12 (cli, io, clocks, filesystem, ...)
#   guest_rust_wasi OUT.wasm SRC.rs      Rust with sdk/rust for wasm32-wasi (println!, std::env, std::fs),
#                                        a reactor (crt1-reactor.o), with the same adapter
#   guest_js OUT.wasm SRC.js WIT WORLD [COMPONENTIZE_ARGS...]
#                                        JavaScript, componentize-js 0.23 (~20 s, ~800 MB each): the JS
#                                        builds run one at a time (a lock shared by every build of this
#                                        tree) in the background, and only when OUT.wasm is older than
#                                        SRC.js, the WIT or tools/guest/package-lock.json. WIT is a file
#                                        or folder; one that refers to wasi: packages without a deps/
#                                        folder is built with the wasi 0.2.12 packages jco ships.
#                                        COMPONENTIZE_ARGS go to componentize-js (e.g. -d stdio clocks).
#   guest_finish                         checks the core modules' imports, then jco embed + jco new
#                                        for all of them in one Node process (~1.5 s), then waits for
#                                        the JS builds
# GUEST_WIT (a WIT file or folder, default wit/) and GUEST_WORLD (default handler) choose the world
# of the C, Rust and WAT modules queued after they are set.
guest_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

guest_init() {
  guest_obj=$1
  guest_clang=${CLANG:-clang-19}
  # Debian's rustc 1.63 by full path: the rustup toolchain usually first on PATH has no wasm32 std.
  guest_rustc=${RUSTC_WASM:-/usr/bin/rustc}
  guest_steps=()
  guest_pids=()
  guest_cores=()
  guest_js_pids=()
  local tool
  for tool in "$guest_clang" "$guest_rustc" wat2wasm wasm-objdump node; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found; run scripts/setup-guest" >&2; exit 1; }
  done
  [ -d "$("$guest_rustc" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] || {
    echo "$0: $guest_rustc has no wasm32-unknown-unknown std; run scripts/setup-guest" >&2; exit 1; }
  # wasm32-wasi reactors (guest_rust_wasi) start from this crt (it exports _initialize).
  guest_rust_reactor_crt=$("$guest_rustc" --print sysroot)/lib/rustlib/wasm32-wasi/lib/self-contained/crt1-reactor.o
  [ -d "$guest_root/tools/guest/node_modules/@bytecodealliance/jco" ] || {
    echo "$0: tools/guest/node_modules missing; run scripts/setup-guest" >&2; exit 1; }
  mkdir -p "$guest_obj"
  # The SDK, compiled once; handlers link it and the linker drops the host imports they do not use.
  "$guest_clang" "${guest_cflags[@]}" -c "$guest_root/sdk/c/witserve.c" -o "$guest_obj/witserve.o"
}
guest_cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror)

# Runs the compiler command "${@:2}" with the core module's path appended, in the background, and
# queues the component $1 (OUT.wasm) made from that core module. _guest_step names the jco_batch.mjs
# step: `component` (the default; the core may import only witserve:handler/host) or
# `component-wasi` (it may also import wasi_snapshot_preview1, which the preview1 reactor adapter
# turns into wasi 0.2.12 imports).
_guest_compile() {
  local core=$guest_obj/$(basename "$1" .wasm).core.wasm step=${_guest_step:-component}
  "${@:2}" "$core" &
  guest_pids+=($!)
  guest_cores+=("$step $core")
  guest_steps+=("$step $core ${GUEST_WIT:-$guest_root/wit} ${GUEST_WORLD:-handler} utf8 $1")
}

# One clang call compiles and links, so -mexec-model=reactor (a link option: crt1-reactor.o,
# exporting _initialize) is fine here; with -c it would be an unused argument, an error under -Werror.
guest_c() {
  local out=$1 src=$2
  shift 2
  _guest_compile "$out" "$guest_clang" "${guest_cflags[@]}" -mexec-model=reactor -Wl,--strip-all \
    -I "$guest_root/sdk/c" "$@" "$src" "$guest_obj/witserve.o" -o
}

guest_c_wasi() {
  _guest_step=component-wasi guest_c "$@"
}

guest_rust() {
  _guest_compile "$1" "$guest_rustc" --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
    -C opt-level=2 -C panic=abort -D warnings -C link-arg=--strip-all "$2" -o
}

# Without crt1-reactor.o, rustc's wasm32-wasi cdylib wraps every export in constructor and
# destructor calls, and the destructors in cabi_post_handle call WASI: the component model forbids
# imports during post-return ("cannot leave component instance").
guest_rust_wasi() {
  [ -f "$guest_rust_reactor_crt" ] || {
    echo "$0: $guest_rust_reactor_crt missing (libstd-rust-dev-wasm32); run scripts/setup-guest" >&2; exit 1; }
  _guest_step=component-wasi _guest_compile "$1" "$guest_rustc" --edition 2021 --crate-type cdylib \
    --target wasm32-wasi -C opt-level=2 -C panic=abort -D warnings -C link-arg=--strip-all \
    -C link-arg="$guest_rust_reactor_crt" -C link-arg=--export=_initialize "$2" -o
}

guest_wat() {
  _guest_compile "$1" wat2wasm "$2" -o
}

guest_js() {
  local out=$1 src=$2 wit=$3 world=$4
  shift 4
  local name
  name=$(basename "$out" .wasm)
  local tmp=$guest_obj/$name.js.wasm log=$guest_obj/$name.js.log
  local inputs=("$src" "$guest_root/tools/guest/package-lock.json") f stale=0
  [ -e "$wit" ] || { echo "$0: $wit not found" >&2; exit 1; }
  while IFS= read -r f; do inputs+=("$f"); done < <(find "$wit" -type f -name '*.wit')
  [ -f "$out" ] || stale=1
  for f in "${inputs[@]}"; do [ "$f" -nt "$out" ] && stale=1; done
  [ $stale = 1 ] || return 0
  rm -f "$out" "$tmp"
  # A world that uses wasi: packages needs them in deps/; jco ships the wasi 0.2.12 ones.
  if grep -rqs --include='*.wit' 'wasi:' "$wit" && [ ! -d "$wit/deps" ]; then
    local staged=$guest_obj/$name.wit builtin=$guest_root/tools/guest/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12
    rm -rf "$staged"
    mkdir -p "$staged/deps"
    if [ -d "$wit" ]; then cp "$wit"/*.wit "$staged/"; else cp "$wit" "$staged/"; fi
    cp -r "$builtin"/wasi-* "$staged/deps/"
    wit=$staged
  fi
  # One componentize-js at a time (~800 MB each), also across the example and test-handler builds.
  (
    flock 9
    if ! "$guest_root/tools/guest/componentize" "$src" --wit "$wit" -n "$world" "$@" -o "$tmp" >"$log" 2>&1 ||
       [ ! -s "$tmp" ]; then
      echo "$0: componentize-js failed for $src:" >&2
      cat "$log" >&2
      exit 1
    fi
    mv "$tmp" "$out"
  ) 9>"$guest_root/tools/guest/node_modules/.witserve-componentize.lock" &
  guest_js_pids+=($!)
}

guest_finish() {
  local pid failed=0 entry step core allowed what bad
  for pid in "${guest_pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] || { echo "$0: compilation failed" >&2; exit 1; }
  # Only the host interface may be imported (plus WASI preview 1 for the _wasi builds): no WASI in
  # the plain builds (stdio pulls it in), and no symbol that rustc's --allow-undefined silently
  # turned into an import.
  for entry in "${guest_cores[@]}"; do
    step=${entry%% *}
    core=${entry#* }
    # ... and the key-value and configuration interfaces (wasi:keyvalue, wasi:config, Spin's).
    allowed=' <- witserve:handler/host@0\.1\.0\.\| <- wasi:keyvalue/\| <- wasi:config/\| <- fermyon:spin/\| <- spin:'
    what="witserve:handler/host, key-value and config"
    if [ "$step" = component-wasi ]; then
      allowed="$allowed\| <- wasi_snapshot_preview1\."
      what="$what and wasi_snapshot_preview1"
    fi
    bad=$(wasm-objdump -x -j Import "$core" 2>/dev/null | grep ' <- ' | grep -v "$allowed" || true)
    [ -z "$bad" ] || { echo "$0: $core imports more than $what:" >&2; echo "$bad" >&2; exit 1; }
  done
  # jco embed + new through the API (tests/components/harness/jco_batch.mjs: the CLI ignores -n).
  if [ ${#guest_steps[@]} -gt 0 ]; then
    printf '%s\n' "${guest_steps[@]}" |
      node --import "$guest_root/tools/guest/preopen.mjs" "$guest_root/tests/components/harness/jco_batch.mjs"
  fi
  for pid in "${guest_js_pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] || { echo "$0: a JavaScript build failed" >&2; exit 1; }
}
