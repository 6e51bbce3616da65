#!/usr/bin/env bash
# Builds the component test corpus from source into OUT_DIR (see README.md):
#   values.wasm resources.wasm strings-{utf8,utf16,compact-utf16}.wasm   C, clang-19 + jco
#   js-values.wasm                                                       JS, componentize-js
#   rust-values.wasm                                                     Rust, Debian rustc 1.63 + jco
#   as-values.wasm                                                       AssemblyScript (asc) + jco
#   minimal.wasm types-only.wasm                                         core WAT + jco
#   handmade.wasm                                                        component WAT + jco parse
#   malformed/*.wasm                                                     broken copies of handmade
# plus wit/ (the WIT sources), components.json (the manifest) and obj/ (core modules, and the
# components printed as WAT by `jco print`, for reading).
# Needs scripts/setup-guest to have run. Fails at the first error.
#   usage: tests/components/build.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
obj=$out/obj
mkdir -p "$obj" "$out/wit" "$out/malformed"

guest=$root/tools/guest
clang=${CLANG:-clang-19}
# Debian's rustc 1.63 (the rustup toolchain usually first on PATH has no wasm32 std), by full path.
rustc=${RUSTC_WASM:-/usr/bin/rustc}
for tool in "$clang" "$rustc" wat2wasm wasm-objdump node; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found; run scripts/setup-guest" >&2; exit 1; }
done
[ -d "$("$rustc" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] || {
  echo "build.sh: $rustc has no wasm32-unknown-unknown std (libstd-rust-dev-wasm32); run scripts/setup-guest" >&2; exit 1; }
[ -d "$guest/node_modules/@bytecodealliance/jco" ] && [ -f "$guest/node_modules/assemblyscript/bin/asc.js" ] || {
  echo "build.sh: tools/guest/node_modules missing or stale; run scripts/setup-guest" >&2; exit 1; }

# The JS component takes ~20 s and ~800 MB: start it first, in the background, and only when its
# inputs changed since the last build; one at a time with those of scripts/lib/guest-build.sh
# (guest_js), which the same build may run in parallel.
js_out=$out/js-values.wasm
js_inputs=("$src/js-values/js-values.js" "$src/js-values/js-values.wit" "$guest/package-lock.json")
js_pid=""
js_stale=0
[ -f "$js_out" ] || js_stale=1
for f in "${js_inputs[@]}"; do [ "$f" -nt "$js_out" ] && js_stale=1; done
if [ $js_stale = 1 ]; then
  rm -f "$js_out"
  flock "$guest/node_modules/.witserve-componentize.lock" \
    "$guest/componentize" "$src/js-values/js-values.js" --wit "$src/js-values/js-values.wit" \
    -n js-values -d stdio random clocks http fetch-event -o "$obj/js-values.wasm" \
    >"$obj/js-values.log" 2>&1 &
  js_pid=$!
fi

# AssemblyScript takes ~4 s (asc and Binaryen): in the background too. --runtime minimal: TLSF, so
# heap.free frees (the GC is never run; the glue makes no managed objects). --use abort=...: a trapping
# abort instead of the import env.abort. The transform renames the camelCase exports to WIT names.
# (asc ignores a failed write of its output: written to a fresh name, checked, then renamed.)
as_tmp=$obj/as-values.core.wasm.$$
rm -f "$as_tmp"
node "$guest/node_modules/assemblyscript/bin/asc.js" as-values.ts --baseDir "$src/as-values" \
  -O3 --runtime minimal --use abort=as-values/abort --transform "$src/as-values/kebab-exports.mjs" \
  -o "$as_tmp" >"$obj/as-values.log" 2>&1 &
as_pid=$!

# Core modules. No WASI: the C guests avoid stdio, so wasi-libc pulls in no WASI imports.
cflags=(--target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror "-Wl,--strip-all")
"$clang" "${cflags[@]}" "$src/values/values.c" -o "$obj/values.core.wasm"
"$clang" "${cflags[@]}" "$src/resources/resources.c" -o "$obj/resources.core.wasm"
"$clang" "${cflags[@]}" -DSTRING_ENCODING=1 "$src/strings/strings.c" -o "$obj/strings-utf8.core.wasm"
"$clang" "${cflags[@]}" -DSTRING_ENCODING=2 "$src/strings/strings.c" -o "$obj/strings-utf16.core.wasm"
"$clang" "${cflags[@]}" -DSTRING_ENCODING=3 "$src/strings/strings.c" -o "$obj/strings-compact-utf16.core.wasm"
# Rust: wasm32-unknown-unknown cdylib, no crates; panics abort (a trap), so nothing is imported.
"$rustc" --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown -C opt-level=2 \
  -C panic=abort -D warnings -C link-arg=--strip-all "$src/rust-values/rust-values.rs" \
  -o "$obj/rust-values.core.wasm"
wat2wasm "$src/minimal/minimal.wat" -o "$obj/minimal.core.wasm"
wat2wasm "$src/minimal/types-only.wat" -o "$obj/types-only.core.wasm"
if ! wait "$as_pid" || [ ! -s "$as_tmp" ]; then
  echo "build.sh: asc failed:" >&2; cat "$obj/as-values.log" >&2; exit 1
fi
mv "$as_tmp" "$obj/as-values.core.wasm"
for core in "$obj"/*.core.wasm; do
  if wasm-objdump -x -j Import "$core" 2>/dev/null | grep -q wasi_snapshot_preview1; then
    echo "build.sh: $core imports WASI (stdio or exit crept in)" >&2; exit 1
  fi
done
# Their worlds import nothing (rustc links with --allow-undefined: a missing symbol becomes an import).
for core in "$obj/rust-values.core.wasm" "$obj/as-values.core.wasm"; do
  if wasm-objdump -h "$core" | grep -q ' Import '; then
    echo "build.sh: $core imports something:" >&2; wasm-objdump -x -j Import "$core" >&2; exit 1
  fi
done

# Components: jco embed + new, jco parse, all in one Node process.
node --import "$guest/preopen.mjs" "$src/harness/jco_batch.mjs" <<EOF
component $obj/values.core.wasm $src/values/values.wit values utf8 $out/values.wasm
component $obj/resources.core.wasm $src/resources/resources.wit resources utf8 $out/resources.wasm
component $obj/strings-utf8.core.wasm $src/strings/strings.wit strings utf8 $out/strings-utf8.wasm
component $obj/strings-utf16.core.wasm $src/strings/strings.wit strings utf16 $out/strings-utf16.wasm
component $obj/strings-compact-utf16.core.wasm $src/strings/strings.wit strings compact-utf16 $out/strings-compact-utf16.wasm
component $obj/rust-values.core.wasm $src/rust-values/rust-values.wit rust-values utf8 $out/rust-values.wasm
component $obj/as-values.core.wasm $src/as-values/as-values.wit as-values utf8 $out/as-values.wasm
component $obj/minimal.core.wasm $src/minimal/minimal.wit minimal utf8 $out/minimal.wasm
component $obj/types-only.core.wasm $src/minimal/minimal.wit types-only utf8 $out/types-only.wasm
parse $src/minimal/handmade.wat $out/handmade.wasm
print $out/values.wasm $obj/values.wat
print $out/resources.wasm $obj/resources.wat
print $out/strings-utf16.wasm $obj/strings-utf16.wat
print $out/strings-compact-utf16.wasm $obj/strings-compact-utf16.wat
print $out/rust-values.wasm $obj/rust-values.wat
print $out/as-values.wasm $obj/as-values.wat
print $out/minimal.wasm $obj/minimal.wat
print $out/types-only.wasm $obj/types-only.wat
EOF

rm -f "$out"/malformed/*.wasm
node "$src/harness/malformed.mjs" "$out/handmade.wasm" "$out/malformed" >"$obj/malformed.json"

cp "$src/values/values.wit" "$src/resources/resources.wit" "$src/strings/strings.wit" \
   "$src/js-values/js-values.wit" "$src/rust-values/rust-values.wit" "$src/as-values/as-values.wit" \
   "$src/minimal/minimal.wit" "$out/wit/"

if [ -n "$js_pid" ]; then
  if ! wait "$js_pid"; then
    echo "build.sh: componentize-js failed:" >&2; cat "$obj/js-values.log" >&2; exit 1
  fi
  mv "$obj/js-values.wasm" "$js_out"
fi

# The manifest: what each file is, its WIT world, and how the reference harness runs it.
node - "$out" "$obj/malformed.json" "$guest" <<'EOF'
const fs = require('node:fs');
const [out, malformedJson, guest] = process.argv.slice(2);
const asVersion = JSON.parse(fs.readFileSync(`${guest}/node_modules/assemblyscript/package.json`, 'utf8')).version;
const c = (wit, world, toolchain, extra = {}) => ({ wit: `wit/${wit}`, world, toolchain, ...extra });
const clang = 'C, clang-19 wasm32-wasi, hand-written canonical ABI glue, jco embed + jco new';
const components = {
  'values.wasm': c('values.wit', 'values', clang),
  'resources.wasm': c('resources.wit', 'resources', clang),
  'strings-utf8.wasm': c('strings.wit', 'strings', clang, { 'string-encoding': 'utf8' }),
  'strings-utf16.wasm': c('strings.wit', 'strings', clang, { 'string-encoding': 'utf16' }),
  'strings-compact-utf16.wasm': c('strings.wit', 'strings', clang,
    { 'string-encoding': 'latin1+utf16', reference: 'core' }),
  'js-values.wasm': c('js-values.wit', 'js-values', 'JavaScript, componentize-js 0.23 (StarlingMonkey), -d stdio random clocks http fetch-event'),
  'rust-values.wasm': c('rust-values.wit', 'rust-values',
    'Rust, Debian rustc 1.63 wasm32-unknown-unknown cdylib, hand-written canonical ABI glue, jco embed + jco new'),
  'as-values.wasm': c('as-values.wit', 'as-values',
    `AssemblyScript ${asVersion} (asc --runtime minimal), hand-written canonical ABI glue, jco embed + jco new`),
  'minimal.wasm': c('minimal.wit', 'minimal', 'core WAT, wat2wasm + jco embed + jco new'),
  'types-only.wasm': c('minimal.wit', 'types-only', 'core WAT, wat2wasm + jco embed + jco new'),
  'handmade.wasm': { world: null, toolchain: 'component WAT by hand, jco parse',
    exports: { run: 'func() -> u32', add: 'func(a: u32, b: u32) -> u32' } },
};
const malformed = JSON.parse(fs.readFileSync(malformedJson, 'utf8'));
fs.writeFileSync(`${out}/components.json`, JSON.stringify({
  components,
  malformed: Object.fromEntries(Object.entries(malformed).map(([f, why]) => [`malformed/${f}`, why])),
}, null, 2) + '\n');
EOF
echo "build.sh: components in $out"
