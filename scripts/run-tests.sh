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
set -e
npx vitest run
npx playwright test
