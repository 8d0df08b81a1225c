#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need, then runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/setup-redis.sh
bash scripts/setup-jaeger.sh
bash scripts/setup-compose-check.sh
# The shipped configuration files, through their own tools' loaders (no Docker engine needed).
.cache/bin/compose-check docker-compose.yml
.cache/bin/jaeger validate --config file:collector-config.yaml
echo "collector-config.yaml is valid (jaeger validate)"
npm run --silent build
npm run --silent typecheck
npm run --silent lint
node scripts/run-tests.mjs test
