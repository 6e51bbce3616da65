#!/usr/bin/env bash
# Stall benchmark (issue 10 item 4): can handlers that loop or wait stall other requests? One
# witserve process serves /hello (hello-c, a fresh instance per request: the fast path), /loop
# (tests/handlers/loop.c: never returns; deadline 2 s) and /sleep (tests/handlers/wasi-sleep.c:
# sleeps 1 s in the host through wasi:clocks + wasi:io/poll, via the preview1 adapter). While wrk
# keeps 8 /loop and 200 /sleep requests in flight (each connection sends its next request as soon
# as the last is answered), a third wrk measures /hello: requests/s, p50/p99 latency and errors,
# twice: during the first 3 s of the load (the pool starts ~200 execution threads, an engine Store
# each, and the first 200 sleepers end and are replaced) and, from 5 s on, for SECONDS (steady).
# /hello alone is measured first in the same run, as the reference.
# The waiting requests are handlers sleeping through wasi:clocks, not outgoing wasi:http to a slow
# upstream: outgoing wasi:http is served by the JavaScript test component only (12 MB; 200 of its
# instances would measure instantiation, not waiting). Both wait the same way: a thread blocked in
# the host (tests/integration/execution_test.cc checks an outgoing request too).
#   usage: bench/stall_bench.sh [SECONDS of /hello measurement, default 10] [/hello CONNECTIONS, default 4]
# Needs a build (scripts/setup) and wrk. Target: /hello p99 < 50 ms and no errors under the load.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
secs=${1:-10}
conns=${2:-4}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/stall.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[admin]
enabled = false
[[route]]
path = "/hello"
component = "$root/handlers/hello-c.wasm"
[[route]]
path = "/loop"
component = "$build/tests/handlers/loop.wasm"
deadline = "2s"
[[route]]
path = "/sleep"
component = "$build/tests/handlers/wasi-sleep.wasm"
TOML

"$build/witserve" serve "$tmp/stall.toml" >"$tmp/log" 2>&1 &
server=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*http: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "stall_bench: witserve did not start:" >&2; cat "$tmp/log" >&2; exit 1; }
base=http://127.0.0.1:$port
[ "$(curl -sf "$base/hello")" = "Hello, world!" ] || { echo "stall_bench: /hello failed" >&2; exit 1; }
[ "$(curl -sf "$base/sleep?ms=10")" = "slept 10 ms" ] || { echo "stall_bench: /sleep failed" >&2; exit 1; }

field() { awk -v k="$1" '$1 == k {print $2; exit}' <<<"$2"; }
errors() {
  local e
  e=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$1")
  echo "$e"
}

# /hello alone.
alone=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$base/hello")

# The stalling load, for the whole measurement and a little more.
load_secs=$((secs + 7))
wrk -t1 -c8 -d"${load_secs}s" --timeout 10s "$base/loop" >"$tmp/loop.out" 2>&1 &
pids+=($!)
wrk -t1 -c200 -d"${load_secs}s" --timeout 10s "$base/sleep?ms=1000" >"$tmp/sleep.out" 2>&1 &
pids+=($!)
cold=$(wrk -t1 -c"$conns" -d3s --latency "$base/hello")
sleep 2
loaded=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$base/hello")
threads=$(ls /proc/$server/task | wc -l)
wait "${pids[@]}"
pids=()
loop_out=$(cat "$tmp/loop.out")
sleep_out=$(cat "$tmp/sleep.out")
loop_total=$(awk '/requests in/ {print $1; exit}' <<<"$loop_out")
loop_non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$loop_out")
sleep_total=$(awk '/requests in/ {print $1; exit}' <<<"$sleep_out")

echo "witserve stall benchmark: $(nproc) cores, $(date -u +%F); /hello: wrk -t1 -c$conns -d${secs}s"
echo "load: 8 x /loop (busy loop, 2 s deadline) and 200 x /sleep (1 s wasi:clocks sleep) in flight"
echo
echo "| /hello | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
echo "| alone | $(field Requests/sec: "$alone") | $(field 50% "$alone") | $(field 99% "$alone") | $(errors "$alone") |"
echo "| first 3 s of the load | $(field Requests/sec: "$cold") | $(field 50% "$cold") | $(field 99% "$cold") | $(errors "$cold") |"
echo "| under the load, from 5 s on | $(field Requests/sec: "$loaded") | $(field 50% "$loaded") | $(field 99% "$loaded") | $(errors "$loaded") |"
echo
echo "load completed in ${load_secs} s: /sleep ${sleep_total:-0} responses ($(errors "$sleep_out") errors; 200 x ${load_secs} = $((200 * load_secs)) at most), /loop ${loop_total:-0} responses (${loop_non2xx:-0} of them 504 at the deadline, as they should be); server threads under load: $threads"
