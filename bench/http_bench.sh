#!/usr/bin/env bash
# HTTP load benchmark: wrk against one witserve process serving the hello examples through the
# wasm path (a fresh component instance per request, recycled, and a reused one; a second process
# serves the fresh routes instantiating anew per request, for comparison; also the WASI examples
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
trap 'rm -rf "$tmp"' EXIT

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

# Two servers: the one measured, and one that instantiates fresh-instance routes anew for every
# request (--rebuild-instances) instead of recycling them, for the "rebuilt" rows.
source "$root/bench/lib/witserve.sh"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
start_witserve log "$tmp/bench.toml" -- --native-hello /hello/native
base=http://127.0.0.1:$started_port
start_witserve rebuild.log "$tmp/bench.toml" -- --rebuild-instances
rebuilt=http://127.0.0.1:$started_port
# Each row: label, URL.
rows=(/hello/native "$base/hello/native" /hello/c "$base/hello/c" "/hello/c rebuilt" "$rebuilt/hello/c"
      /hello/rust "$base/hello/rust" /hello/wat "$base/hello/wat" /reuse/c "$base/reuse/c"
      /reuse/rust "$base/reuse/rust" /reuse/wat "$base/reuse/wat" /wasi/c "$base/wasi/c"
      "/wasi/c rebuilt" "$rebuilt/wasi/c" /wasi-reuse/c "$base/wasi-reuse/c" /wasi/js "$base/wasi/js"
      "/wasi/js rebuilt" "$rebuilt/wasi/js" /wasi-reuse/js "$base/wasi-reuse/js")
labels=()
declare -A url
for ((i = 0; i < ${#rows[@]}; i += 2)); do labels+=("${rows[i]}"); url[${rows[i]}]=${rows[i+1]}; done
for label in "${labels[@]}"; do
  body=$(curl -sf "${url[$label]}") || { echo "http_bench: $label failed" >&2; exit 1; }
  [[ "$body" == "Hello, world!"* ]] || { echo "http_bench: $label answered '$body'" >&2; exit 1; }
done

declare -A rps mean p99
for label in "${labels[@]}"; do
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "${url[$label]}")
  rps[$label]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  mean[$label]=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
  p99[$label]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  [ -z "$errors" ] || echo "http_bench: $label: $errors" >&2
done

echo "witserve HTTP benchmark: $(nproc) cores, wrk -t2 -c$conns, ${secs}s per route, $(date -u +%F)"
echo
echo "| route | handler | requests/s | mean latency | p99 latency | share of native |"
echo "|---|---|---|---|---|---|"
for label in "${labels[@]}"; do
  case $label in
    /hello/native) kind="native C++ in the same server" ;;
    *rebuilt) kind="the same, instantiated anew per request (--rebuild-instances)" ;;
    /hello/*) kind="wasm, fresh instance per request (recycled)" ;;
    /wasi/c) kind="C with printf (WASI, preview1 adapter), fresh instance (recycled)" ;;
    /wasi-reuse/c) kind="C with printf (WASI, preview1 adapter), reused" ;;
    /wasi/js) kind="JavaScript (componentize-js, 12 MB), fresh instance (recycled)" ;;
    /wasi-reuse/js) kind="JavaScript (componentize-js, 12 MB), reused" ;;
    *) kind="wasm, instance reused (instance = \"reuse\")" ;;
  esac
  share=$(awk -v a="${rps[$label]}" -v b="${rps[/hello/native]}" 'BEGIN {printf "%.3f", a / b}')
  echo "| $label | $kind | ${rps[$label]} | ${mean[$label]} | ${p99[$label]} | $share |"
done
