#!/usr/bin/env bash
# The whole test suite: static checks, unit and store tests, then API and browser tests against the built app.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

if [ ! -d node_modules ]; then
  echo "node_modules is missing: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

echo "== lint"; npx eslint . --max-warnings 0
echo "== typecheck"; npx tsc --noEmit
echo "== unit and store tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$results/unit.json"
echo "== build"; npx next build
echo "== API tests against the built app"
npx vitest run --project api --reporter=default --reporter=json --outputFile.json="$results/api.json"
echo "== end-to-end tests in Chromium"
E2E_JSON_REPORT="$results/e2e.json" npx playwright test

# One closing line for the whole suite.
node -e '
  let passed = 0, failed = 0, skipped = 0;
  for (const file of process.argv.slice(1)) {
    const r = require(file);
    if (r.stats) {
      // Playwright
      passed += r.stats.expected + r.stats.flaky; failed += r.stats.unexpected; skipped += r.stats.skipped;
    } else {
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    }
  }
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results/unit.json" "$results/api.json" "$results/e2e.json"
