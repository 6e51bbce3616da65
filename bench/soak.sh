#!/usr/bin/env bash
# Soak benchmark: one witserve process serves every example, each with a fresh instance per
# request and with a reused one, for a long run (default 10 minutes). Each minute every route gets
# an equal slice of wrk load; after each minute the process's resident memory is read. A leak
# shows as RSS growing minute after minute, or throughput falling. Prints a Markdown table (one
# row per minute: RSS and each route's requests/s) and a verdict: from the second minute on, RSS
# and every route's throughput must stay within 10 % of their own median (exit 1 if not).
#   usage: bench/soak.sh [MINUTES, default 10] [CONNECTIONS, default 8]
# Needs a build (scripts/setup, scripts/build-examples) and wrk (Debian).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
minutes=${1:-10}
conns=${2:-8}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# name, component, extra manifest lines
examples=(
  "hello-c|hello-c.wasm|"
  "hello-rust|hello-rust.wasm|"
  "hello-wat|hello-wat.wasm|"
  "greet-c|greet-c.wasm|config = { greeting = \"Hello\" }"
  "hello-js|hello-js.wasm|"
  "http-js|http-js.wasm|"
  "printf-c|printf-c.wasm|env = { GREETING = \"Hello\" }"
  "hello-rust-wasi|hello-rust-wasi.wasm|env = { GREETING = \"Howdy\" }"
)
{
  printf '[server]\nlisten = "127.0.0.1:0"\n[admin]\nenabled = false\n'
  for e in "${examples[@]}"; do
    IFS='|' read -r name file extra <<<"$e"
    for mode in fresh reuse; do
      suffix=""
      [ "$name" = greet-c ] && suffix="/:name"
      printf '[[route]]\npath = "/%s/%s%s"\ncomponent = "%s"\ninstance = "%s"\n%s\n' \
        "$mode" "$name" "$suffix" "$root/handlers/$file" "$mode" "$extra"
    done
  done
} >"$tmp/soak.toml"

"$build/witserve" --log-level warn serve "$tmp/soak.toml" >"$tmp/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 200); do
  port=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," '$0 ~ p {split($4, a, ":"); print a[2]; exit}')
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: witserve did not start:" >&2; cat "$tmp/log" >&2; exit 1; }
base=http://127.0.0.1:$port

routes=()
for e in "${examples[@]}"; do
  IFS='|' read -r name _ _ <<<"$e"
  for mode in fresh reuse; do
    target="/$mode/$name"
    [ "$name" = greet-c ] && target="$target/soak"
    curl -sf -o /dev/null "$base$target" || { echo "soak: $target failed" >&2; exit 1; }
    routes+=("$target")
  done
done

slice=$(( 60 / ${#routes[@]} ))
[ "$slice" -ge 1 ] || slice=1
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

header="| minute | RSS (MB) |"
rule="|---|---|"
for r in "${routes[@]}"; do header+=" $r |"; rule+="---|"; done
results=()
errors=0
for m in $(seq "$minutes"); do
  row="| $m |"
  vals=()
  for r in "${routes[@]}"; do
    out=$(wrk -t1 -c"$conns" -d"${slice}s" "$base$r")
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
      echo "soak: minute $m, $r: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
      errors=$((errors + 1))
    fi
    vals+=("$rps")
  done
  kill -0 "$pid" 2>/dev/null || { echo "soak: witserve died in minute $m" >&2; tail -20 "$tmp/log" >&2; exit 1; }
  rss=$(( $(rss_kb) / 1024 ))
  row+=" $rss |"
  for v in "${vals[@]}"; do row+=" $v |"; done
  results+=("$rss ${vals[*]}")
  echo "soak: minute $m: RSS $rss MB" >&2
  rows+=("$row")
done

echo "witserve soak: $(nproc) cores, ${minutes} min, every route ${slice} s per minute, wrk -t1 -c$conns, $(date -u +%F)"
echo
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
echo

# Verdict: columns from minute 2 on, each within 10 % of its median.
printf '%s\n' "${results[@]}" | awk -v names="RSS ${routes[*]}" '
  NR >= 2 { for (i = 1; i <= NF; i++) col[i, ++n[i]] = $i; cols = NF }
  END {
    split(names, name, " ")
    bad = 0
    for (i = 1; i <= cols; i++) {
      k = n[i]
      for (a = 1; a <= k; a++) v[a] = col[i, a]
      for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
      med = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
      lo = v[1] / med; hi = v[k] / med
      flag = (lo < 0.9 || hi > 1.1) ? "  <-- outside 10 %" : ""
      if (flag != "") bad++
      printf "- %s: median %s, min %.2f and max %.2f of it%s\n", name[i], med, lo, hi, flag
    }
    exit bad > 0
  }' && verdict=0 || verdict=1
if [ "$errors" -ne 0 ]; then
  echo "soak: $errors wrk runs saw errors; the server's errors and warnings:" >&2
  grep -E '\[(error|warning)\]' "$tmp/log" | head -20 >&2 || true
fi
exit $(( verdict || errors > 0 ))
