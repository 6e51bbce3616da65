# Shared by the benchmark scripts (sourced): start a witserve and learn its port.
#   start_witserve LOG MANIFEST [NAME=VALUE...] [-- ARGS...]
# runs "$build/witserve serve MANIFEST ARGS..." with the environment additions, output to
# $tmp/LOG, appends its pid to the array `pids`, waits until it listens and sets `started_port`
# (exits the script if it does not start within 10 s).
start_witserve() {
  local log=$1 manifest=$2
  shift 2
  local env_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do env_args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  env "${env_args[@]}" "$build/witserve" serve "$manifest" "$@" >"$tmp/$log" 2>&1 &
  pids+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's|.*http: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$(basename "$0"): witserve did not start:" >&2; cat "$tmp/$log" >&2; exit 1; }
  started_port=$port
}
