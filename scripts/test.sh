#!/usr/bin/env bash
# npm test: install what is missing, build, run every test (unit, integration, interop), and end
# with one line `N passed, N failed` summed from Vitest's JSON report.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
mkdir -p .bosun
echo "[test] building (tsc -b)"
if ! npx tsc -b tsconfig.build.json; then
  echo "[test] build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# The build leaves the tests out; they are type-checked apart, and count as one check.
echo "[test] type-checking the tests (tsconfig.tests.json)"
if npx tsc -p tsconfig.tests.json; then typecheck=passed; else typecheck=failed; fi
rm -f .bosun/test-results.json
CI=true npx vitest run "$@"
code=$?
# It prints `N passed, N failed` itself (exit 1 when something failed); .ci/run falls back to
# `0 passed, 1 failed` only when no such line was printed at all.
node scripts/summarize-tests.js .bosun/test-results.json "typecheck:tests=$typecheck" || exit 1
[ "$typecheck" = passed ] || exit 1
exit $code
