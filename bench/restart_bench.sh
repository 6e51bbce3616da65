#!/usr/bin/env bash
# Restart benchmark: a data directory with N registered components (default 10,000 distinct
# copies of the hello-c example, each made unique by a custom section), then witserve started on
# it. Reports how long until the last registered route answers, and until the background load of
# every component is done (from the log), and the process's RSS then.
#   usage: bench/restart_bench.sh [N, default 10000]
# Needs a build (scripts/setup) and the examples (scripts/build-examples).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WITSERVE_BUILD_DIR:-$root/build}
n=${1:-10000}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
pid=""
mkdir -p "$tmp/data/components"
python3 - "$root/handlers/hello-c.wasm" "$tmp/data" "$n" <<'PY'
import hashlib, json, sys
src = open(sys.argv[1], 'rb').read()
out, n = sys.argv[2], int(sys.argv[3])
routes = []
for i in range(n):
    payload = b'%d' % i
    body = bytes([1]) + b'x' + payload
    b = src + bytes([0, len(body)]) + body
    h = hashlib.sha256(b).hexdigest()
    open('%s/components/%s.wasm' % (out, h), 'wb').write(b)
    routes.append({"route": "/r%d" % i, "sha256": h, "deadline_ms": 30000, "env": {}, "allowed_outbound_hosts": []})
json.dump(routes, open(out + '/routes.json', 'w'))
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/m.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
[admin]
listen = "127.0.0.1:0"
token = "bench"
TOML
start=$(date +%s.%N)
"$build/witserve" serve "$tmp/m.toml" --data-dir "$tmp/data" >"$tmp/log" 2>&1 &
pid=$!
last=$((n - 1))
until curl -sf -o /dev/null "http://127.0.0.1:$port/r$last"; do
  kill -0 "$pid" 2>/dev/null || { echo "restart_bench: witserve exited" >&2; tail "$tmp/log" >&2; exit 1; }
  sleep 0.02
done
served=$(date +%s.%N)
until grep -q "registered components\? loaded in" "$tmp/log"; do sleep 0.1; done
loaded_ms=$(sed -n 's/.*registered components\? loaded in \([0-9]*\) ms.*/\1/p' "$tmp/log")
rss=$(awk '/^VmRSS:/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
echo "restart with $n registered components: /r$last answered after $(echo "$served - $start" | bc | sed 's/^\./0./') s;" \
     "every component loaded after $loaded_ms ms (in the background); RSS then $rss MB"
