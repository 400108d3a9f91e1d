#!/usr/bin/env bash
# npm run demo: install what is missing, build, then run the talk's scenario (demo/src/main.ts).
# `npm run demo:down` stops it and removes the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "down" ]; then
  bash scripts/setup.sh
  echo "[demo] building (tsc -b)" >&2
  npx tsc -b tsconfig.build.json
fi
exec node demo/dist/main.js "$@"
