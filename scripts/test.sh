#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need, then runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/setup-redis.sh
bash scripts/setup-jaeger.sh
npm run --silent build
npm run --silent typecheck
npm run --silent lint
node scripts/run-tests.mjs test
