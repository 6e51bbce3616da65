#!/usr/bin/env bash
# Runs a command that must fail in a particular way: it must exit with STATUS and its stderr must
# match the extended regular expression PATTERN. For CLI tests of error paths, where CTest's
# WILL_FAIL would also pass a usage error or a crash.
#   expect_failure.sh STATUS PATTERN COMMAND [ARGS...]
status=$1 pattern=$2
shift 2
err=$("$@" 2>&1 >/dev/null)
got=$?
if [ "$got" != "$status" ]; then
  echo "expected exit status $status, got $got; stderr: $err" >&2
  exit 1
fi
if ! grep -Eq -- "$pattern" <<<"$err"; then
  echo "stderr does not match '$pattern': $err" >&2
  exit 1
fi
echo "as expected: $err"
