#!/usr/bin/env bash
# The whole test suite: type-check, lint, format check, then every test file under test/ with node's runner.
# PostgreSQL tests use WEBPIG_TEST_POSTGRES_URL (default: the local server, database `test`);
# this script starts the local cluster when it is installed but stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh

echo "== type-check"
npx tsc -p tsconfig.check.json
echo "== lint"
npx eslint --max-warnings=0 .
echo "== format (prettier; npm run format fixes it)"
npx prettier --check . >/dev/null || { npx prettier --list-different . || true; echo "not formatted: run npm run format" >&2; exit 1; }
node scripts/check-import-cycles.mjs
echo "== build (the CLI tests and the dashboard tests run the built package)"
npm run --silent build
echo "== tests"
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
