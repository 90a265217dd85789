#!/usr/bin/env bash
# `npm test`: every test. The prerequisites (Debian packages, the MCP conformance suite: mostly
# downloads) come first, since the tests need them; the type check, the lint and the browser tests'
# console build run beside them and beside vitest at a lower priority (nice 10: vitest keeps the
# cores it uses, and they take what it leaves idle, about a quarter of the two cores); then the
# browser tests. Any failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
bash scripts/test-prereqs.sh >"$logs/prereqs" 2>&1 &
prereqs=$!
nice -n 10 npx tsc --noEmit -p . >"$logs/tsc" 2>&1 &
tsc=$!
nice -n 10 npm run --silent lint >"$logs/lint" 2>&1 &
lint=$!
# The console build is the folder e2e/console/support/console-stack.ts starts from (nothing in it
# depends on the test environment), skipped when it is current: about a minute of one core.
build=
if NEXT_DIST_DIR=.next-e2e node --import tsx -e 'import("./scripts/supervisor/console-build.ts").then((m) => process.exit(m.consoleBuildNeeded(process.cwd()) ? 0 : 1))'; then
  NEXT_DIST_DIR=.next-e2e NEXT_TELEMETRY_DISABLED=1 NEXT_IGNORE_INCORRECT_LOCKFILE=1 nice -n 10 node node_modules/next/dist/bin/next build >"$logs/build" 2>&1 &
  build=$!
fi

failed=0
# Waits for a step started above and says how it ended (its output when it failed).
finish() {
  local step=$1 pid=$2
  [ -n "$pid" ] || return 0
  if wait "$pid"; then
    echo "npm test: $step passed"
  else
    echo "npm test: $step FAILED:" >&2
    cat "$logs/$step" >&2
    failed=1
  fi
}

finish prereqs "$prereqs"
if [ "$failed" -eq 0 ]; then
  npx vitest run || failed=1
fi
finish tsc "$tsc"
finish lint "$lint"
if [ "$failed" -ne 0 ] && [ -n "$build" ]; then
  kill "$build" 2>/dev/null
  wait "$build" 2>/dev/null
  exit 1
fi
finish build "$build"
[ "$failed" -eq 0 ] || exit 1
npx playwright test
