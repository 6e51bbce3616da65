#!/usr/bin/env bash
# HTTP load benchmark: wrk against one witserve process serving the hello examples through the
# wasm path (a fresh component instance per request, and a reused one; also the WASI examples
# printf-c and hello-js, whose stdout lines go to the log as they would in production) and a native C++ route
# compiled into the same server (--native-hello), in one run, so the ratios compare like with like on a noisy machine.
# Prints a Markdown table: requests/s, mean and p99 latency, and each route's share of native.
#   usage: bench/http_bench.sh [SECONDS per route, default 10] [CONNECTIONS, default 32]
# Needs a build (scripts/setup) and wrk (Debian). Threads: witserve gets one per core, wrk 2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
secs=${1:-10}
conns=${2:-32}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

cat >"$tmp/bench.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[admin]
enabled = false
[[route]]
path = "/hello/c"
component = "$root/handlers/hello-c.wasm"
[[route]]
path = "/hello/rust"
component = "$root/handlers/hello-rust.wasm"
[[route]]
path = "/hello/wat"
component = "$root/handlers/hello-wat.wasm"
[[route]]
path = "/reuse/c"
component = "$root/handlers/hello-c.wasm"
instance = "reuse"
[[route]]
path = "/reuse/rust"
component = "$root/handlers/hello-rust.wasm"
instance = "reuse"
[[route]]
path = "/reuse/wat"
component = "$root/handlers/hello-wat.wasm"
instance = "reuse"
[[route]]
path = "/wasi/c"
component = "$root/handlers/printf-c.wasm"
[[route]]
path = "/wasi-reuse/c"
component = "$root/handlers/printf-c.wasm"
instance = "reuse"
[[route]]
path = "/wasi/js"
component = "$root/handlers/hello-js.wasm"
[[route]]
path = "/wasi-reuse/js"
component = "$root/handlers/hello-js.wasm"
instance = "reuse"
TOML

"$build/witserve" serve "$tmp/bench.toml" --native-hello /hello/native >"$tmp/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*http: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "http_bench: witserve did not start:" >&2; cat "$tmp/log" >&2; exit 1; }
base=http://127.0.0.1:$port
routes=(/hello/native /hello/c /hello/rust /hello/wat /reuse/c /reuse/rust /reuse/wat /wasi/c /wasi-reuse/c /wasi/js
        /wasi-reuse/js)
for route in "${routes[@]}"; do
  body=$(curl -sf "$base$route") || { echo "http_bench: $route failed" >&2; exit 1; }
  [[ "$body" == "Hello, world!"* ]] || { echo "http_bench: $route answered '$body'" >&2; exit 1; }
done

declare -A rps mean p99
for route in "${routes[@]}"; do
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$base$route")
  rps[$route]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  mean[$route]=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
  p99[$route]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  [ -z "$errors" ] || echo "http_bench: $route: $errors" >&2
done

echo "witserve HTTP benchmark: $(nproc) cores, wrk -t2 -c$conns, ${secs}s per route, $(date -u +%F)"
echo
echo "| route | handler | requests/s | mean latency | p99 latency | share of native |"
echo "|---|---|---|---|---|---|"
for route in "${routes[@]}"; do
  case $route in
    /hello/native) kind="native C++ in the same server" ;;
    /hello/*) kind="wasm, fresh instance per request" ;;
    /wasi/c) kind="C with printf (WASI, preview1 adapter), fresh instance" ;;
    /wasi-reuse/c) kind="C with printf (WASI, preview1 adapter), reused" ;;
    /wasi/js) kind="JavaScript (componentize-js, 12 MB), fresh instance" ;;
    /wasi-reuse/js) kind="JavaScript (componentize-js, 12 MB), reused" ;;
    *) kind="wasm, instance reused (instance = \"reuse\")" ;;
  esac
  share=$(awk -v a="${rps[$route]}" -v b="${rps[/hello/native]}" 'BEGIN {printf "%.3f", a / b}')
  echo "| $route | $kind | ${rps[$route]} | ${mean[$route]} | ${p99[$route]} | $share |"
done
