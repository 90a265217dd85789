#!/usr/bin/env bash
# `npm test`: every test. The prerequisites (Debian packages, the MCP conformance suite: mostly
# downloads), the type check and the lint run side by side, since this machine has two cores and
# the downloads leave them idle; then vitest; then the browser tests. Any failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
bash scripts/test-prereqs.sh >"$logs/prereqs" 2>&1 &
prereqs=$!
npx tsc --noEmit -p . >"$logs/tsc" 2>&1 &
tsc=$!
npm run --silent lint >"$logs/lint" 2>&1 &
lint=$!
failed=0
for step in prereqs tsc lint; do
  pid=${!step}
  if wait "$pid"; then
    echo "npm test: $step passed"
  else
    echo "npm test: $step FAILED:" >&2
    cat "$logs/$step" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
# The browser tests' console build (the folder e2e/console/support/console-stack.ts starts from;
# nothing in it depends on the test environment) runs beside vitest at a lower priority: vitest
# leaves about a quarter of the two cores idle, and the build takes about a minute of one core.
build=
if NEXT_DIST_DIR=.next-e2e node --import tsx -e 'import("./scripts/supervisor/console-build.ts").then((m) => process.exit(m.consoleBuildNeeded(process.cwd()) ? 0 : 1))'; then
  NEXT_DIST_DIR=.next-e2e NEXT_TELEMETRY_DISABLED=1 NEXT_IGNORE_INCORRECT_LOCKFILE=1 nice -n 10 node node_modules/next/dist/bin/next build >"$logs/console-build" 2>&1 &
  build=$!
fi
npx vitest run || { [ -z "$build" ] || kill "$build" 2>/dev/null; exit 1; }
if [ -n "$build" ] && ! wait "$build"; then
  echo "npm test: the console build FAILED:" >&2
  cat "$logs/console-build" >&2
  exit 1
fi
npx playwright test
