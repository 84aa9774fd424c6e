#!/usr/bin/env bash
# The whole test suite: static checks, unit and store tests, then API tests against the built app.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

if [ ! -d node_modules ]; then
  echo "node_modules is missing: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "== lint"; npx eslint .
echo "== typecheck"; npx tsc --noEmit
echo "== unit and store tests"; npx vitest run --project unit
echo "== build"; npx next build
echo "== API tests against the built app"; npx vitest run --project api --passWithNoTests
