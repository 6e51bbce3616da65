#!/usr/bin/env bash
# A CPU-bound handler against the same C compiled natively: bench/cpu/sha256.h (SHA-256 over a
# 64 KiB buffer, ROUNDS times) built once with clang-19 for this machine and once into a handler
# component (sdk/c, wasm32). Times are measured from outside: the native binary's own clock, and
# for witserve curl's total time of one request (the HTTP part is well under 1 % of it). Each is
# the best of 5, after a warm-up request, for a reused instance, a fresh (recycled) one, and the
# reused one again with V8's signal-based bounds checks (WITSERVE_WASM_TRAP_HANDLER=1). Checks
# that every digest is the native one. Prints a Markdown table.
#   usage: bench/cpu_bench.sh [ROUNDS, default 400]
# Needs a build (scripts/setup). Threads: one request at a time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
rounds=${1:-400}
out=$build/bench-cpu
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

source "$root/scripts/lib/guest-build.sh"
guest_init "$out/obj"
guest_c "$out/sha256.wasm" "$root/bench/cpu/sha256_handler.c" -I "$root/bench/cpu"
guest_finish
clang-19 -O2 -o "$out/sha256-native" "$root/bench/cpu/sha256_native.c"

best() { sort -n | head -1; }

native_digest=""
native_us=$(for _ in 1 2 3 4 5; do
  read -r digest us < <("$out/sha256-native" "$rounds")
  echo "$digest" >"$tmp/native.digest"
  echo "$us"
done | best)
native_digest=$(cat "$tmp/native.digest")

cat >"$tmp/cpu.toml" <<TOML
[server]
listen = "127.0.0.1:0"
threads = 1
deadline = "60s"
[admin]
enabled = false
[[route]]
path = "/reuse"
component = "$out/sha256.wasm"
instance = "reuse"
[[route]]
path = "/fresh"
component = "$out/sha256.wasm"
TOML

source "$root/bench/lib/witserve.sh"

time_route() {  # URL -> best microseconds of 5
  local body
  body=$(curl -sf "$1?rounds=$rounds")
  [ "$body" = "$native_digest" ] || { echo "cpu_bench: $1 answered '$body', native '$native_digest'" >&2; exit 1; }
  for _ in 1 2 3 4 5; do
    curl -sf -o /dev/null -w '%{time_total}\n' "$1?rounds=$rounds"
  done | best | awk '{printf "%d", $1 * 1000000}'
}

start_witserve plain.log "$tmp/cpu.toml" WITSERVE_WASM_TRAP_HANDLER=0
plain=http://127.0.0.1:$started_port
start_witserve trap.log "$tmp/cpu.toml" WITSERVE_WASM_TRAP_HANDLER=1
trapped=http://127.0.0.1:$started_port

declare -A us
us[native]=$native_us
us[reuse]=$(time_route "$plain/reuse")
us[fresh]=$(time_route "$plain/fresh")
us[reuse-trap]=$(time_route "$trapped/reuse")
us[fresh-trap]=$(time_route "$trapped/fresh")

echo "witserve CPU benchmark: SHA-256 of 64 KiB x $rounds rounds, best of 5, $(date -u +%F)"
echo
echo "| run | time | × native |"
echo "|---|---|---|"
for run in native reuse fresh reuse-trap fresh-trap; do
  case $run in
    native) label="native (clang-19 -O2, x86-64)" ;;
    reuse) label="wasm handler, instance = \"reuse\"" ;;
    fresh) label="wasm handler, fresh instance (recycled)" ;;
    reuse-trap) label="wasm handler, reuse, V8 trap handler on" ;;
    fresh-trap) label="wasm handler, fresh, V8 trap handler on" ;;
  esac
  ratio=$(awk -v a="${us[$run]}" -v b="$native_us" 'BEGIN {printf "%.2f", a / b}')
  echo "| $label | $((${us[$run]} / 1000)) ms | $ratio |"
done
