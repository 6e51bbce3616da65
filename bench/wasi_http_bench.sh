#!/usr/bin/env bash
# wasi:http load benchmark: wrk against the JavaScript wasi:http test component
# (tests/handlers/wasi-http-test, componentize-js 0.23, ~12 MB of StarlingMonkey) served by jco's
# reference host and by witserve, in one run, so the ratios compare like with like on a noisy
# machine. Every case sends GET /echo (an empty 200 response with a few headers).
#
#   (a)  jco serve as it starts by default: one component instance serves every request
#   (a') jco serve --isolate-requests instance: a fresh instance per request
#   (b)  witserve, a fresh instance per request (the default), one worker thread per core
#   (c)  witserve, instance = "reuse" (one instance per worker thread), one worker thread per core
# first with CONNECTIONS connections (wrk -t2), then each at one connection (wrk -t1 -c1), witserve
# then with --threads 1: (a1) (a'1) (b1) (c1). jco serve is one Node process whose host work is
# single-threaded. The ratio column compares each witserve case with the jco case of the same
# instance policy at the same connections: (b)/(a') and (c)/(a).
#
# The cost of a fresh instance of the ~12 MB StarlingMonkey component: at one connection and one
# worker thread the requests are served one after the other, so 1/throughput is the whole time per
# request (HTTP, the instantiation if any, the handler, and wrk's share of the CPU). (b1) and (c1)
# are the same server with the same requests, the only difference being the new instance, so
# 1/throughput of (b1) minus that of (c1) is the cost of instantiating it (and of dropping the
# previous one). The difference of wrk's mean latencies is printed too; the two agree when wrk
# is not the bottleneck. The same is done for jco serve with (a'1) and (a1).
#
# jco serve dies at the end of each wrk run: wrk closes its connections with a request in flight,
# the component's read of the request body then fails, the component traps, and jco serve lets the
# trap end the Node process (witserve keeps serving). So every jco case gets a process of its own,
# all started (and checked with a few sequential requests) before the first measurement.
#
#   usage: bench/wasi_http_bench.sh [SECONDS per case, default 6] [CONNECTIONS, default 8]
# Needs a build (scripts/setup; the component is built into build/tests/handlers), jco
# (scripts/setup-guest) and wrk (Debian). jco needs 4-15 s to start (it transpiles the component,
# then Node compiles it); every process started here is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
secs=${1:-6}
conns=${2:-8}
component=$build/tests/handlers/wasi-http-test.wasm
jco=$root/tools/guest/jco
[ -f "$component" ] || { echo "wasi_http_bench: $component is not built" >&2; exit 1; }
[ -d "$root/tools/guest/node_modules/@bytecodealliance/jco" ] || { echo "wasi_http_bench: jco is not installed (scripts/setup-guest)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()     # witserve processes
groups=()   # jco process groups (jco serve runs the server in a second Node process)
cleanup() {
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" "${groups[@]}"; do wait "$p" 2>/dev/null || true; done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "wasi_http_bench: no free port" >&2
  exit 1
}

# start_jco NAME [jco serve options...]: sets $port. The process is started as a job of its own
# (set -m), so it leads a process group that can be stopped whole, Node server included; its
# transpiled output goes under $tmp. (Not called in $(...): the process must be this shell's
# child, and the arrays this shell's.)
start_jco() {
  local name=$1
  shift
  port=$(free_port)
  set -m
  "$jco" serve "$component" --port "$port" --host 127.0.0.1 --jco-dir "$tmp/$name" "$@" \
    >"$tmp/$name.log" 2>&1 </dev/null &
  groups+=($!)
  set +m
}

# start_witserve NAME THREADS INSTANCE: sets $port.
start_witserve() {
  local name=$1 threads=$2 instance=$3
  port=""
  cat >"$tmp/$name.toml" <<TOML
[server]
listen = "127.0.0.1:0"
threads = $threads
data_dir = "$tmp/$name.data"
[admin]
enabled = false
[[route]]
path = "/..."
component = "$component"
instance = "$instance"
TOML
  "$build/witserve" serve "$tmp/$name.toml" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's|.*http: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/$name.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "wasi_http_bench: witserve ($name) did not start:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}

# check NAME PORT: waits up to 60 s for GET /echo to answer 200 with x-method: GET (the component
# itself), then sends 20 more, one after the other (a warm-up that leaves no request in flight).
check() {
  local name=$1 port=$2 headers
  for _ in $(seq 600); do
    headers=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$port/echo" 2>/dev/null || true)
    if grep -qi '^x-method: GET' <<<"$headers"; then
      for _ in $(seq 20); do curl -sf -o /dev/null "http://127.0.0.1:$port/echo"; done
      return
    fi
    sleep 0.1
  done
  echo "wasi_http_bench: $name does not answer GET /echo:" >&2
  cat "$tmp/$name.log" >&2
  exit 1
}

# wrk's latency ("850.00us", "38.24ms", "1.20s", "1.05m") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0;
    else if (v ~ /m$/) printf "%.0f", v * 60000; else printf "%.2f", v * 1000 }'
}

# The cases: key, label, server, wrk threads, connections.
cores=$(nproc)
cases=(a a1 b c a_1 a1_1 b_1 c_1)
declare -A label tport wt wc rps mean p99
setcase() { label[$1]=$2; tport[$1]=$3; wt[$1]=$4; wc[$1]=$5; }

# Everything starts at once (the four jco processes compile in parallel), and is ready before the
# first measurement.
start_jco jco-a; setcase a "jco serve, one instance (default)" "$port" 2 "$conns"
start_jco jco-a1 --isolate-requests instance; setcase a1 "jco serve --isolate-requests instance" "$port" 2 "$conns"
start_jco jco-a_1; setcase a_1 "jco serve, one instance (default)" "$port" 1 1
start_jco jco-a1_1 --isolate-requests instance; setcase a1_1 "jco serve --isolate-requests instance" "$port" 1 1
start_witserve ws-b "$cores" fresh; setcase b "witserve, fresh instance per request, $cores threads" "$port" 2 "$conns"
start_witserve ws-c "$cores" reuse; setcase c "witserve, instance = \"reuse\", $cores threads" "$port" 2 "$conns"
start_witserve ws-b_1 1 fresh; setcase b_1 "witserve, fresh instance per request, 1 thread" "$port" 1 1
start_witserve ws-c_1 1 reuse; setcase c_1 "witserve, instance = \"reuse\", 1 thread" "$port" 1 1
for k in "${cases[@]}"; do
  case $k in a*) name=jco-$k ;; *) name=ws-$k ;; esac
  check "$name" "${tport[$k]}"
done

for k in "${cases[@]}"; do
  out=$(wrk -t"${wt[$k]}" -c"${wc[$k]}" -d"${secs}s" --timeout 10s --latency "http://127.0.0.1:${tport[$k]}/echo")
  rps[$k]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  mean[$k]=$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")")
  p99[$k]=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  [ -z "$errors" ] || echo "wasi_http_bench: ${label[$k]}, -c${wc[$k]}: $errors" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "wasi:http benchmark: $cores cores, GET /echo of wasi-http-test.wasm ($(($(stat -c %s "$component") / 1048576)) MiB)," \
  "${secs}s per case, $(date -u +%F)"
echo
echo "| case | server | wrk | requests/s | mean latency | p99 latency | witserve / jco serve |"
echo "|---|---|---|---|---|---|---|"
row() {  # name, key, ratio text
  echo "| ($1) | ${label[$2]} | -t${wt[$2]} -c${wc[$2]} | ${rps[$2]} | ${mean[$2]} ms | ${p99[$2]} ms | $3 |"
}
row a a ""
row "a'" a1 ""
row b b "$(ratio "${rps[b]}" "${rps[a1]}") of (a')"
row c c "$(ratio "${rps[c]}" "${rps[a]}") of (a)"
row a1 a_1 ""
row "a'1" a1_1 ""
row b1 b_1 "$(ratio "${rps[b_1]}" "${rps[a1_1]}") of (a'1)"
row c1 c_1 "$(ratio "${rps[c_1]}" "${rps[a_1]}") of (a1)"
echo
awk -v wf="${rps[b_1]}" -v wr="${rps[c_1]}" -v mf="${mean[b_1]}" -v mr="${mean[c_1]}" \
    -v jf="${rps[a1_1]}" -v jr="${rps[a_1]}" -v jmf="${mean[a1_1]}" -v jmr="${mean[a_1]}" 'BEGIN {
  print "A fresh instance of the ~12 MB component, one connection, one worker thread:"
  printf "  witserve:  1/throughput %.2f ms fresh (b1) - %.2f ms reused (c1) = %.2f ms per instance; mean latency %.2f - %.2f = %.2f ms\n",
    1000 / wf, 1000 / wr, 1000 / wf - 1000 / wr, mf, mr, mf - mr
  printf "  jco serve: 1/throughput %.2f ms fresh (a'"'"'1) - %.2f ms reused (a1) = %.2f ms per instance; mean latency %.2f - %.2f = %.2f ms\n",
    1000 / jf, 1000 / jr, 1000 / jf - 1000 / jr, jmf, jmr, jmf - jmr
}'
